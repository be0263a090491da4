"""Worker pool processes freeze what they loaded before forking, and the worker's own process
what it loaded before consuming, so the cyclic garbage collector stops rescanning Django, the
apps and the task modules on every full collection."""

from __future__ import annotations

import gc

from celery.signals import worker_process_init, worker_ready

import config.celery  # noqa: F401 - connects the receiver


def test_a_pool_process_freezes_the_objects_it_started_with():
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        started_with = [[] for _ in range(1000)]
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > 10_000  # Django and every app are loaded by now
        made_later = [[] for _ in range(1000)]
        gc.collect()
        # A frozen object leaves the collector's generations (gc.get_objects() lists those):
        # what existed at the fork is never rescanned, what is made later, even after a
        # collection, is collectable as ever.
        tracked = {id(obj) for obj in gc.get_objects()}
        assert id(started_with) not in tracked
        assert id(made_later) in tracked
        del started_with, made_later
    finally:
        gc.unfreeze()


def test_the_workers_own_process_freezes_what_it_loaded_once_ready():
    gc.unfreeze()
    try:
        worker_ready.send(sender=None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
