"""The orders app's API: customers, products and orders in (create-or-update by external id)
and out (filtered lists with cursor pagination, details).

    common.py       what every ingestion endpoint shares: input validation with flat field
                    paths, cursor pagination and its OpenAPI shape
    serializers.py  input (strict) and output serializers
    views.py        the endpoints: thin, input serializer → service/selector → output serializer
"""
