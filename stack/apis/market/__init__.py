"""The `market` Django app: stored market data, the periodic tasks, the tg bot, the status page."""
