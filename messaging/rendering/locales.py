"""The few words the renderer itself says, in every shopper locale we ship (en, de, fr, es):
dates, money, status names, the delay apology and the layout's footer links. Everything else
a shopper reads is in the tenant's templates."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

LOCALES = ("en", "de", "fr", "es")

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$",
                    "SEK": "kr ", "DKK": "kr ", "NOK": "kr ", "PLN": "zł ", "JPY": "¥"}


def money_format(amount: Decimal, currency: str, locale: str) -> str:
    """"€1,234.50" in English; "1.234,50 €" in German and Spanish; "1 234,50 €" in French."""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}"
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ").strip()
    if locale == "en":
        return f"{sign}{symbol}{groups}.{cents}"
    thousands = "\u202f" if locale == "fr" else "."
    return f"{sign}{groups.replace(',', thousands)},{cents}\u00a0{symbol}"


STATUS_LABELS = {
    "en": {"pending": "Label created", "in_transit": "On its way",
           "out_for_delivery": "Out for delivery", "available_for_pickup": "Ready for pickup",
           "delivered": "Delivered", "attempt_failed": "Delivery attempt failed",
           "exception": "Delivery problem", "returned_to_sender": "Returned to sender",
           "cancelled": "Cancelled", "expired": "No longer tracked", "unknown": "Unknown"},
    "de": {"pending": "Versandetikett erstellt", "in_transit": "Unterwegs",
           "out_for_delivery": "In Zustellung", "available_for_pickup": "Zur Abholung bereit",
           "delivered": "Zugestellt", "attempt_failed": "Zustellversuch fehlgeschlagen",
           "exception": "Problem bei der Zustellung", "returned_to_sender": "Zurück an den Absender",
           "cancelled": "Storniert", "expired": "Nicht mehr verfolgt", "unknown": "Unbekannt"},
    "fr": {"pending": "Étiquette créée", "in_transit": "En route",
           "out_for_delivery": "En cours de livraison", "available_for_pickup": "Prêt à être retiré",
           "delivered": "Livré", "attempt_failed": "Tentative de livraison échouée",
           "exception": "Problème de livraison", "returned_to_sender": "Retourné à l'expéditeur",
           "cancelled": "Annulé", "expired": "Suivi terminé", "unknown": "Inconnu"},
    "es": {"pending": "Etiqueta creada", "in_transit": "En camino",
           "out_for_delivery": "En reparto", "available_for_pickup": "Listo para recoger",
           "delivered": "Entregado", "attempt_failed": "Intento de entrega fallido",
           "exception": "Incidencia en la entrega", "returned_to_sender": "Devuelto al remitente",
           "cancelled": "Cancelado", "expired": "Seguimiento finalizado", "unknown": "Desconocido"},
}

DELAY_APOLOGY = {
    "en": "We're sorry your parcel is taking longer than planned. It's still on its way, and "
          "we're keeping an eye on it for you.",
    "de": "Es tut uns leid, dass dein Paket länger braucht als geplant. Es ist weiter unterwegs, "
          "und wir behalten es für dich im Blick.",
    "fr": "Nous sommes désolés : votre colis prend plus de temps que prévu. Il est toujours en "
          "route et nous le suivons de près pour vous.",
    "es": "Sentimos que tu paquete esté tardando más de lo previsto. Sigue en camino y lo "
          "estamos vigilando por ti.",
}

# The brand layout's own words, filled in when a version is compiled (the version's locale).
LAYOUT_WORDS = {
    "en": {"preferences": "Notification preferences", "unsubscribe": "Unsubscribe",
           "why": "You’re receiving this e-mail about your order with"},
    "de": {"preferences": "Benachrichtigungen verwalten", "unsubscribe": "Abmelden",
           "why": "Du erhältst diese E-Mail zu deiner Bestellung bei"},
    "fr": {"preferences": "Préférences de notification", "unsubscribe": "Se désabonner",
           "why": "Vous recevez cet e-mail au sujet de votre commande chez"},
    "es": {"preferences": "Preferencias de notificaciones", "unsubscribe": "Darse de baja",
           "why": "Recibes este correo por tu pedido en"},
}


def locale_chain(*candidates: str | None) -> list[str]:
    """Distinct locales to try, in order, each followed by its language ("de-AT" → "de"),
    ending with "en"."""
    chain: list[str] = []
    for candidate in (*candidates, "en"):
        if not candidate:
            continue
        for option in (candidate, candidate.split("-")[0].split("_")[0]):
            if option and option not in chain:
                chain.append(option)
    return chain


@lru_cache(maxsize=256)  # a handful of distinct values; asked once per message rendered
def shopper_locale(locale: str | None) -> str:
    """The nearest locale we have words for."""
    for option in locale_chain(locale):
        if option in LOCALES:
            return option
    return "en"
