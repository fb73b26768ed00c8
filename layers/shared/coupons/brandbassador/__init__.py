"""Brandbassador's custom-webshop contract: a GET that creates percent codes and gift cards
(``wire``, ``webshops``), and the tracking pixel that reports each sale back (``tracking``)."""
