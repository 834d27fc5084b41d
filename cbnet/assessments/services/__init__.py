"""Assessment operations, one module per part; each function is atomic and named by verb.

- ``questionnaires``: build, copy into a new version, load the seeded questionnaires.
- ``workflow``: open a round, save answers, submit, return, validate, share and revoke.
- ``needs``: needs from a validated assessment's gaps, statuses, regional needs.
- ``plans``: national capacity-building plans and their milestones.
"""
