"""The job runner inside the sandbox and its protocol: bound into the sandbox
(``hw3.grading.jail.BOUND``), never shipped to students (``hw3_checks.zip`` holds ``hw3/cases``
only). ``job`` runs a job's cells and probes; ``messages`` is the job protocol, both ways, and
its one strict reader."""
