from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "apis.market"
    label = "market"
