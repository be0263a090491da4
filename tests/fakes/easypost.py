"""Fake EasyPost v2 for return labels, answering the official SDK (`easypost` 10) as the real
API does (docs.easypost.com: Shipment, Rate, PostageLabel objects):

    POST /v2/shipments             {"shipment": {...}} ─▶ 201, a Shipment with its rates
    GET  /v2/shipments/<id>        ─▶ 200, the Shipment as it is now
    POST /v2/shipments/<id>/buy    {"rate": {"id": …}} ─▶ 200, the Shipment with selected_rate,
                                   postage_label and tracking_code (buying twice: 422)

Authorization is `Bearer EZTK…`/`EZAK…`; errors are EasyPost's `{"error": {"code", "message",
"errors"}}`. Rates come from `self.rates` (carrier, service, rate), cheapest not first.
"""

from __future__ import annotations

import itertools
import re

from .server import FakeHTTPServer, Recorded, Reply

API_KEY = "EZTK0123456789abcdefFAKEKEY"
_ids = itertools.count(1)
_SHIPMENT = re.compile(r"^/v2/shipments/(shp_[0-9a-f]+)(/buy)?$")


def _error(status: int, code: str, message: str) -> Reply:
    return Reply.json(status, {"error": {"code": code, "message": message, "errors": []}})


class FakeEasyPost(FakeHTTPServer):
    api_key = API_KEY

    def __init__(self) -> None:
        super().__init__()
        self.rates = [("UPS", "Ground", "9.41"), ("USPS", "GroundAdvantage", "6.12"),
                      ("FedEx", "FEDEX_GROUND", "8.05"), ("USPS", "Priority", "7.58")]
        self.shipments: dict[str, dict] = {}
        self.bought: list[dict] = []  # every shipment bought, in order
        # Buy the next label but answer only after `seconds` (past the client's timeout): the
        # label exists at EasyPost, the caller never heard of it.
        self.lose_next_buy_answer = 0.0

    @property
    def api_base(self) -> str:
        return f"{self.url}/v2"

    def answer(self, request: Recorded) -> Reply:
        if not re.fullmatch(r"Bearer EZ[AT]K\w+", request.header("Authorization") or ""):
            return _error(401, "APIKEY.INACTIVE", "This api key is no longer active.")
        if request.method == "POST" and request.path == "/v2/shipments":
            return self._create(request)
        found = _SHIPMENT.match(request.path)
        shipment = self.shipments.get(found.group(1)) if found else None
        if found is None or shipment is None:
            return _error(404, "NOT_FOUND", "The requested resource could not be found.")
        if request.method == "GET" and not found.group(2):
            return Reply.json(200, shipment)
        if request.method == "POST" and found.group(2):
            return self._buy(shipment, request)
        return _error(405, "METHOD.NOT_ALLOWED", "Method not allowed.")

    def _create(self, request: Recorded) -> Reply:
        try:
            params = request.json()["shipment"]
        except (ValueError, KeyError, TypeError):
            return _error(422, "PARAMETER.REQUIRED", "Missing required parameter: shipment.")
        for side in ("to_address", "from_address"):
            if not (params.get(side) or {}).get("street1"):
                return _error(422, "ADDRESS.VERIFY.FAILURE", f"{side}: street1 is required.")
        if not (params.get("parcel") or {}).get("weight"):
            return _error(422, "PARCEL.WEIGHT.MISSING", "parcel: weight is required.")
        shipment_id = f"shp_{next(_ids):032x}"
        # EasyPost swaps the addresses of a return: the parcel goes to the original sender.
        to_address, from_address = params["to_address"], params["from_address"]
        if params.get("is_return"):
            to_address, from_address = from_address, to_address
        shipment = {
            "id": shipment_id, "object": "Shipment", "mode": "test",
            "is_return": bool(params.get("is_return")), "reference": params.get("reference"),
            "to_address": {"object": "Address", **to_address},
            "from_address": {"object": "Address", **from_address},
            "parcel": {"object": "Parcel", **params["parcel"]},
            "options": params.get("options") or {},
            "rates": [{"id": f"rate_{next(_ids):032x}", "object": "Rate", "mode": "test",
                       "carrier": carrier, "service": service, "rate": rate, "currency": "USD",
                       "shipment_id": shipment_id} for carrier, service, rate in self.rates],
            "selected_rate": None, "postage_label": None, "tracking_code": None, "tracker": None,
            "status": "unknown",
        }
        self.shipments[shipment_id] = shipment
        return Reply.json(201, shipment)

    def _buy(self, shipment: dict, request: Recorded) -> Reply:
        if shipment["postage_label"]:
            return _error(422, "SHIPMENT.POSTAGE.EXISTS", "This shipment already has postage.")
        try:
            rate_id = request.json()["rate"]["id"]
        except (ValueError, KeyError, TypeError):
            return _error(422, "PARAMETER.REQUIRED", "Missing required parameter: rate.")
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return _error(422, "SHIPMENT.RATE.INVALID", "The rate is not one of this shipment's.")
        number = f"EZ{next(_ids):010d}"
        label_file = f"{self.url}/files/postage_label/{shipment['id']}"
        shipment.update({
            "selected_rate": rate, "tracking_code": number, "status": "unknown",
            "postage_label": {"object": "PostageLabel", "label_file_type": "image/png",
                              "label_url": f"{label_file}.png", "label_pdf_url": f"{label_file}.pdf",
                              "label_size": "4x6"},
            "tracker": {"object": "Tracker", "tracking_code": number, "carrier": rate["carrier"],
                        "status": "pre_transit", "is_return": shipment["is_return"]},
        })
        self.bought.append(shipment)
        reply = Reply.json(200, shipment)
        reply.hang, self.lose_next_buy_answer = self.lose_next_buy_answer, 0.0
        return reply
