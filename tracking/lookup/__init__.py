"""The shopper's tracking lookup: /s/<tenant-slug>/track/, and /track/ on the store's own
tracking domain (DESIGN.md "Public URLs"), for a shopper who lost the e-mail.

    POST number + contact (e-mail or delivery postcode)
      limits.lookup_allowed: one more attempt per client address and per number (Redis)
        └─ over either budget ─▶ 429 "try again in N minutes", nothing looked up
      selectors.order_lookup: two queries and four keyed-hash comparisons, whatever matches
        ├─ one parcel ─▶ 303 to /t/<token>/
        ├─ several (or none shipped yet) ─▶ the order's parcels, each linking to its page
        └─ no match ─▶ one answer for a wrong number, a wrong e-mail and a wrong postcode
    POST number alone (a tracking number)
      selectors.parcel_lookup ─▶ status and timeline only (tracking.public's _status.html and
                                 _timeline.html): no order, no name, no items, no address
"""
