"""The shopper's returns portal (/s/<tenant-slug>/returns/, and /returns/ on a store's own
tracking domain): find the order, pick items and reasons, choose a resolution and a method,
follow the request on its status page.

    start     order number + e-mail or postcode (the tracking lookup's rules and budget), or
              the tracking page's button with its parcel token  ─▶ a signed grant for the order
    new       the grant's order: items (why not, in the shopper's words), then the amounts per
              resolution, the method and photos, then confirm  ─▶ the request's status page
    status    /returns/<token>/: status, what happens next, items, timeline, photos

No cookies, no script: the grant (signed, two hours) and the request's token in the URL are
the only authority, as the tracking page's token is.
"""
