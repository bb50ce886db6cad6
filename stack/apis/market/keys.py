"""Every Redis name the stack uses, in one place (handy with `redis-cli`)."""
from apis.collectors.common import SOURCES, list_key  # noqa: F401 - re-exported: all Redis names in one place

# Redis database 1 (the collectors' REDIS_URL ends in /1):
#   collected:liquidations, collected:collector, collected:klines_socket
#   -> lists of JSON records; collectors LPUSH, the move task pops the oldest end.

# Redis database 0 (REDIS_URL in .env), besides Celery's own keys:
TG_QUEUE = "tg:updates"              # list: updates waiting for the bot (LPUSH in, BRPOP out)
TG_NEXT_ID = "tg:next_update_id"     # counter: the last update id handed out
TG_PROGRESS = "tg:progress"          # hash: state, current_update, updates_done, ...
