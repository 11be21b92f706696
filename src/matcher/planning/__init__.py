"""Campaign planning (issue 11): the best set of creators for a total budget.

Layer: above ``ranking`` and ``evaluation``, below ``lifecycle`` (it imports ``schemas``, ``api``,
``ranking`` and, for its evaluation only, ``simulator``; never anything above it). See
``docs/planning.md``. The entry point is ``matcher.planning.plan.plan_campaign``.
"""
