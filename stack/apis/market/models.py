from django.db import models


class Record(models.Model):
    """One record moved from Redis into Postgres, tagged with the collector it came from."""

    source = models.CharField(max_length=32, db_index=True)  # liquidations / collector / klines_socket
    symbol = models.CharField(max_length=16)
    collected_at = models.DateTimeField()                      # when the collector made it
    stored_at = models.DateTimeField(auto_now_add=True)        # when the task stored it
    data = models.JSONField()                                  # the whole record as pushed

    class Meta:
        db_table = "market_record"  # a short table name for psql

    def __str__(self):
        return f"{self.source} {self.symbol} {self.collected_at:%H:%M:%S}"


class BeatRun(models.Model):
    """One run of the periodic task move_collected_data (sent by celery-beat every 5 s)."""

    ran_at = models.DateTimeField(auto_now_add=True)
    moved = models.JSONField(default=dict)      # {"liquidations": 5, "collector": 5, ...}
    worker = models.CharField(max_length=200)   # which celery worker ran it

    class Meta:
        db_table = "market_beat_run"

    def __str__(self):
        return f"beat run {self.pk} at {self.ran_at:%H:%M:%S}"
