"""The orders app's API: customers, products and orders in (create-or-update by external id)
and out (filtered lists with cursor pagination, details). What every app's API shares (base
class, actor, validation, pagination) is in `tenants/api/base.py`.

    serializers.py  input (strict) and output serializers
    views.py        the endpoints: thin, input serializer → service/selector → output serializer
"""
