"""Sharing: communities and data-exchange agreements, the objects the policy decides over.

Every change here bumps the policy version in the same transaction, so cached plans in
every worker are recompiled before the next read (membership changes apply to past reports
at once).
"""
