"""Celery tasks. celery-beat sends them on the schedule in settings.CELERY_BEAT_SCHEDULE;
the celery worker runs them."""
import json
from datetime import datetime, timezone

import redis
from celery import shared_task
from django.conf import settings
from django.db import transaction

from .keys import SOURCES, TG_NEXT_ID, TG_QUEUE, list_key
from .models import BeatRun, Record


@shared_task(bind=True)
def move_collected_data(self, batch=1000):
    """Move what the collectors pushed (Redis db 1) into Postgres, tagged by source."""
    r = redis.Redis.from_url(settings.COLLECTOR_REDIS_URL)
    popped = {source: r.rpop(list_key(source), batch) or [] for source in SOURCES}  # oldest first
    try:
        with transaction.atomic():
            Record.objects.bulk_create(
                Record(
                    source=source,
                    symbol=rec.get("symbol", ""),
                    collected_at=datetime.fromtimestamp(rec["ts"], tz=timezone.utc),
                    data=rec,
                )
                for source, items in popped.items()
                for rec in map(json.loads, items)
            )
            moved = {source: len(items) for source, items in popped.items()}
            BeatRun.objects.create(moved=moved, worker=self.request.hostname or "")
    except Exception:
        # Postgres unreachable? Put the records back at the old end of their lists.
        for source, items in popped.items():
            if items:
                r.rpush(list_key(source), *reversed(items))
        raise
    return moved


@shared_task
def enqueue_tg_update():
    """Play Telegram: queue one update for the tg bot (Redis db 0, list tg:updates)."""
    r = redis.Redis.from_url(settings.REDIS_URL)
    update_id = r.incr(TG_NEXT_ID)
    r.lpush(TG_QUEUE, json.dumps({"update_id": update_id, "text": "/price BTCUSDT"}))
    return update_id
