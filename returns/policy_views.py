"""Settings → Returns: the retailer edits the return policy. Saving writes a new version through
`return_policy_update` (a return already started keeps its version; the edit is audited).

Lists are typed as text (tags separated by commas, one category window per line); rules
("outcomes per reason") are rows of a formset, empty rows ignored. The form checks the types;
the service checks the rest (catalog categories, a rule without an outcome) and its problems
come back beside their fields, the rules' beside their row: never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from config.errors import ApplicationError, ValidationFailed
from tenants.permissions import Perm
from tenants.views.base import DashboardRequest, add_error_to_form, can, dashboard_view, member_actor

from . import services
from .models import Resolution, ReturnPolicy, ReturnReason
from .selectors import return_policy_get
from .services.policy import MAX_RULES, MAX_WINDOW_DAYS

_WINDOW_LINE = re.compile(r"^\s*(?P<category>[^=:]+?)\s*[=:]\s*(?P<days>\S+)\s*$")
_RULE_PATH = re.compile(r"^rules\[(?P<index>\d+)\](?:\.(?P<field>\w+))?")
ADDRESS = ("name", "address1", "address2", "city", "postcode", "country_code")


def _money(**options) -> forms.DecimalField:
    return forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), **options)


def _percent(**options) -> forms.DecimalField:
    return forms.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                              max_value=Decimal("100"), **options)


def _texts(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


class ReturnPolicyForm(forms.Form):
    window_days = forms.IntegerField(
        label="Return window (days)", min_value=0, max_value=MAX_WINDOW_DAYS,
        help_text="From delivery, or from the order for a parcel that never arrived; counted on "
                  "the shopper's calendar.")
    category_window_days = forms.CharField(
        label="Other windows by category", required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Footwear = 45\nSwimwear = 14"}),
        help_text="One catalog category per line with its own number of days.")
    non_returnable_categories = forms.CharField(
        label="Categories that cannot be returned", required=False, max_length=2000,
        help_text="Catalog categories, separated by commas.")
    non_returnable_tags = forms.CharField(
        label="Product tags that cannot be returned", required=False, max_length=2000,
        help_text="Separated by commas, e.g. <code>consumable, hygiene</code>.")
    final_sale_tags = forms.CharField(
        label="Final sale tags", required=False, max_length=2000,
        help_text="Products with one of these tags were sold as final sale.")
    gift_returns_allowed = forms.BooleanField(
        label="Gifts can be returned (as store credit)", required=False,
        help_text="Off: gifts cannot be returned online.")
    review_above_order_value = _money(
        label="Review returns of orders above", required=False,
        help_text="In the order's currency; empty: no limit.")
    reasons = forms.MultipleChoiceField(
        label="Reasons shoppers choose from", choices=ReturnReason.choices,
        widget=forms.CheckboxSelectMultiple)
    default_resolutions = forms.MultipleChoiceField(
        label="Offered when no rule below matches", choices=Resolution.choices,
        widget=forms.CheckboxSelectMultiple)
    store_credit_bonus_percent = _percent(
        label="Store credit bonus (%)", help_text="On top of the items' value, e.g. 10 for +10 %.")
    return_shipping_fee = _money(label="Return shipping fee", help_text="Taken off a refund.")
    restocking_percent = _percent(label="Restocking fee (%)",
                                  help_text="Of the items' value, taken off a refund.")
    fees_waived_for = forms.MultipleChoiceField(
        label="No fees for", choices=Resolution.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Kept items never have fees.")
    fraud_max_returns_90d = forms.IntegerField(
        label="Review a shopper with more returns in 90 days than", required=False,
        min_value=0, max_value=10_000, help_text="Empty: no limit.")
    fraud_review_above_value = _money(
        label="Review returns worth more than", required=False,
        help_text="Empty: no limit.")
    refund_due_business_days = forms.IntegerField(
        label="Refund due within (business days)", min_value=1, max_value=60,
        help_text="After the parcel is received. Past it, the shopper is told the refund is "
                  "late, once, before they have to ask.")
    label_carriers = forms.CharField(
        label="Carriers for prepaid labels", required=False, max_length=2000,
        help_text="Separated by commas, e.g. <code>DHL, UPS</code>; empty: any your EasyPost "
                  "account offers. The cheapest rate among them is bought.")
    address_name = forms.CharField(label="Name", required=False, max_length=200)
    address_address1 = forms.CharField(label="Street", required=False, max_length=200)
    address_address2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    address_city = forms.CharField(label="City", required=False, max_length=100)
    address_postcode = forms.CharField(label="Postcode", required=False, max_length=20)
    address_country_code = forms.RegexField(
        regex=r"^[A-Z]{2}$", label="Country code", required=False,
        error_messages={"invalid": "Use a two-letter code in capitals, e.g. DE."})

    @classmethod
    def for_policy(cls, policy: ReturnPolicy | None, data=None) -> ReturnPolicyForm:
        row = policy or ReturnPolicy()  # the defaults, before the first version
        address = row.return_address or {}
        return cls(data, initial={
            "window_days": row.window_days,
            "category_window_days": "\n".join(
                f"{category} = {days}" for category, days in (row.category_window_days or {}).items()),
            "non_returnable_categories": ", ".join(row.non_returnable_categories or []),
            "non_returnable_tags": ", ".join(row.non_returnable_tags or []),
            "final_sale_tags": ", ".join(row.final_sale_tags or []),
            "gift_returns_allowed": row.gift_returns_allowed,
            "review_above_order_value": row.review_above_order_value,
            "reasons": row.reasons, "default_resolutions": row.default_resolutions,
            "store_credit_bonus_percent": row.store_credit_bonus_percent,
            "return_shipping_fee": row.return_shipping_fee,
            "restocking_percent": row.restocking_percent, "fees_waived_for": row.fees_waived_for,
            "fraud_max_returns_90d": row.fraud_max_returns_90d,
            "fraud_review_above_value": row.fraud_review_above_value,
            "refund_due_business_days": row.refund_due_business_days,
            "label_carriers": ", ".join(row.label_carriers or []),
            **{f"address_{key}": address.get(key, "") for key in ADDRESS},
        })

    def clean_category_window_days(self) -> dict[str, int]:
        windows: dict[str, int] = {}
        for number, line in enumerate(self.cleaned_data["category_window_days"].splitlines(), 1):
            if not line.strip():
                continue
            match = _WINDOW_LINE.match(line)
            if match is None or not match["days"].isascii() or not match["days"].isdigit():
                raise forms.ValidationError(
                    f"Line {number}: write a category, an equals sign and days, e.g. Footwear = 45.")
            days = int(match["days"][:6])
            if days > MAX_WINDOW_DAYS:
                raise forms.ValidationError(
                    f"Line {number}: a window is 0 to {MAX_WINDOW_DAYS} days.")
            if match["category"] in windows:
                raise forms.ValidationError(f"{match['category']} is listed twice.")
            windows[match["category"]] = days
        return windows

    def clean_non_returnable_categories(self) -> list[str]:
        return _texts(self.cleaned_data["non_returnable_categories"])

    def clean_non_returnable_tags(self) -> list[str]:
        return _texts(self.cleaned_data["non_returnable_tags"])

    def clean_final_sale_tags(self) -> list[str]:
        return _texts(self.cleaned_data["final_sale_tags"])

    def clean_label_carriers(self) -> list[str]:
        return _texts(self.cleaned_data["label_carriers"])

    def policy_fields(self) -> dict:
        data = dict(self.cleaned_data)
        address = {key: data.pop(f"address_{key}") for key in ADDRESS}
        data["return_address"] = {key: value for key, value in address.items() if value}
        return data


class ReturnRuleForm(forms.Form):
    reasons = forms.MultipleChoiceField(label="Reasons", choices=ReturnReason.choices,
                                        required=False, widget=forms.CheckboxSelectMultiple,
                                        help_text="None ticked: any reason.")
    categories = forms.CharField(label="Categories", required=False, max_length=2000,
                                 help_text="Separated by commas; empty: any.")
    max_unit_price = _money(label="Items costing at most", required=False)
    resolutions = forms.MultipleChoiceField(label="Offer", choices=Resolution.choices,
                                            required=False, widget=forms.CheckboxSelectMultiple)
    needs_review = forms.BooleanField(label="A person reviews first", required=False)

    def clean_categories(self) -> list[str]:
        return _texts(self.cleaned_data["categories"])

    def rule(self) -> services.RuleInput | None:
        """The rule this row states, or None for an empty row."""
        data = self.cleaned_data
        if not (data.get("reasons") or data.get("categories") or data.get("resolutions")
                or data.get("needs_review") or data.get("max_unit_price") is not None):
            return None
        return services.RuleInput(resolutions=data["resolutions"], reasons=data["reasons"],
                                  categories=data["categories"],
                                  max_unit_price=data["max_unit_price"],
                                  needs_review=data["needs_review"])


RuleFormSet = forms.formset_factory(ReturnRuleForm, extra=2, max_num=MAX_RULES,
                                    validate_max=True, absolute_max=MAX_RULES + 10)


def _rule_rows(policy: ReturnPolicy | None) -> list[dict]:
    return [{"reasons": r.reasons, "categories": ", ".join(r.categories),
             "max_unit_price": r.max_unit_price, "resolutions": r.resolutions,
             "needs_review": r.needs_review}
            for r in sorted(policy.rules.all(), key=lambda r: r.position)] if policy else []


def _place_errors(form: ReturnPolicyForm, rule_forms: list[ReturnRuleForm],
                  exc: ApplicationError) -> None:
    """The service's problems beside their fields; a rule's beside its row."""
    rest = {}
    for path, problems in (exc.details or {}).items():
        match = _RULE_PATH.match(path)
        if match and int(match["index"]) < len(rule_forms):
            row = rule_forms[int(match["index"])]
            field = match["field"] if match["field"] in row.fields else None
            for problem in problems if isinstance(problems, list) else [problems]:
                row.add_error(field, str(problem))
        elif path == "return_address":
            form.add_error("address_name", str(problems))
        else:
            rest[path] = problems
    if rest or not exc.details:
        add_error_to_form(form, ValidationFailed(exc.message, details=rest))


@dashboard_view(Perm.RETURNS_VIEW, manage=Perm.TENANT_MANAGE)
def return_policy_edit(request: DashboardRequest) -> HttpResponse:
    current = return_policy_get(request.tenant)
    posted = request.POST if request.method == "POST" else None
    form = ReturnPolicyForm.for_policy(current, posted)
    rules = RuleFormSet(posted, initial=_rule_rows(current), prefix="rules")
    editable = can(request, Perm.TENANT_MANAGE)
    if posted is not None and form.is_valid() and rules.is_valid():
        filled = [(row, rule) for row in rules.forms if (rule := row.rule()) is not None]
        try:
            policy = services.return_policy_update(
                request.tenant, actor=member_actor(request), rules=[rule for _, rule in filled],
                **form.policy_fields())
        except ApplicationError as exc:
            _place_errors(form, [row for row, _ in filled], exc)
        else:
            messages.success(request, f"Return policy saved as version {policy.version}. "
                                      "Returns already started keep the rules they began with.")
            return redirect("returns:policy")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
        for row in rules.forms:
            for field in row.fields.values():
                field.disabled = True
    return render(request, "returns/dashboard/policy.html", {
        "form": form, "rules": rules, "editable": editable, "policy": current,
        "settings_active": "returns",
    })
