"""The workshop kit: what an instructor needs around the course, kept out of ``helpers`` (the learners' package).

* :mod:`workshop.bundle` -- every image the course needs in one archive, for a room without internet;
* :mod:`workshop.room` -- every learner on a shared engine: projects, services, memory and CPU, exercise verdicts;
* ``python -m workshop`` (``./course bundle ...``, ``./course room ...``) -- the command line over both.

See docs/instructor.md.
"""
