import socket
import time

import redis
from django.conf import settings
from django.db.models import Count
from django.http import JsonResponse

from .keys import SOURCES, TG_PROGRESS, TG_QUEUE, list_key
from .models import BeatRun, Record


def health(request):
    """Cheap liveness answer for the healthcheck: no database, no Redis."""
    return JsonResponse({"ok": True})


def _redis(url):
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True)


def status(request):
    """What the stack has done so far. Each part is checked on its own, so with a service
    stopped the page still answers (HTTP 503) and says which part failed."""
    out = {"served_by": socket.gethostname()}  # the container's hostname = its short id
    ok = True

    try:  # Postgres (filled by the celery task)
        counts = dict(Record.objects.values_list("source").annotate(n=Count("id")))
        last = BeatRun.objects.order_by("-id").first()
        out["postgres"] = {
            "rows_per_source": {s: counts.get(s, 0) for s in SOURCES},
            "beat_runs": BeatRun.objects.count(),
            "last_beat_run": last and {
                "at": last.ran_at.isoformat(),
                "seconds_ago": round(time.time() - last.ran_at.timestamp(), 1),
                "moved": last.moved,
                "worker": last.worker,
            },
        }
    except Exception as exc:  # noqa: BLE001 - the page reports any failure of the part instead of failing itself
        ok, out["postgres"] = False, {"error": str(exc)}

    try:  # Redis db 1 (the collectors' lists, not yet moved)
        r1 = _redis(settings.COLLECTOR_REDIS_URL)
        out["redis_db1_waiting"] = {s: r1.llen(list_key(s)) for s in SOURCES}
    except Exception as exc:  # noqa: BLE001 - as above: any failure is reported
        ok, out["redis_db1_waiting"] = False, {"error": str(exc)}

    try:  # Redis db 0 (the bot's queue and progress)
        r0 = _redis(settings.REDIS_URL)
        out["tg"] = {"queue_length": r0.llen(TG_QUEUE), **r0.hgetall(TG_PROGRESS)}
    except Exception as exc:  # noqa: BLE001 - as above: any failure is reported
        ok, out["tg"] = False, {"error": str(exc)}

    out["ok"] = ok
    return JsonResponse(out, status=200 if ok else 503, json_dumps_params={"indent": 2})
