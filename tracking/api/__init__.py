"""The tracking app's API: shipments in and out, tracking events in (raw first) and out, and
the order detail, which shows an order with its shipments (they live in this layer).

    serializers.py  input (strict) and output serializers
    views.py        the endpoints: thin, input serializer → service/selector → output serializer
"""
