from django.contrib import admin

from .models import BeatRun, Record


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "symbol", "collected_at", "stored_at")
    list_filter = ("source", "symbol")


@admin.register(BeatRun)
class BeatRunAdmin(admin.ModelAdmin):
    list_display = ("id", "ran_at", "moved", "worker")
