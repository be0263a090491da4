"""The demo's catalog as a shopper meets it: pictures served by the demo itself, and texts in
every shopper language the demo's customers speak."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from orders import demo, selectors
from orders.demo_translations import LOCALES


def test_every_demo_product_picture_is_a_file_of_this_site():
    products = demo.build_products()
    pictures = {product.image_url for product in products}
    assert len(pictures) == len(demo.CATALOG)
    for url in pictures:
        assert urlsplit(url).netloc == "" and url.startswith("/static/demo/products/")
        assert finders.find(url.removeprefix("/static/")), url


@pytest.mark.django_db
def test_the_demo_serves_its_product_pictures():
    response = Client().get(selectors.product_demo_picture("Tents"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_every_demo_product_has_its_title_and_help_links_in_every_shopper_language():
    for product in demo.build_products():
        for locale in LOCALES:
            texts = product.translation(locale)
            assert texts["title"] and texts["title"] != product.title, (locale, product.title)
            english = [link["title"] for link in product.content_links]
            translated = [link["title"] for link in texts["content_links"]]
            assert len(translated) == len(english) and not set(translated) & set(english)
            assert ([link["url"] for link in texts["content_links"]]
                    == [link["url"] for link in product.content_links])
