"""Hand-graded explanations: collected by ``hw3 grade``, marked in ``hw3 mark``'s web app,
merged by ``hw3 report``.

- :mod:`.rubric`: the master's manual questions, recorded at build time (``marking/manual.json``);
- :mod:`.collect`: finding each answer in a submission (hostile input, capped);
- :mod:`.store`: the marks in SQLite, and the marks CSV;
- :mod:`.render`: a student's Markdown and math as safe HTML;
- :mod:`.app`: the marking web app (Starlette, uvicorn, Jinja2 templates);
- :mod:`.merge`: marks joined to the results for the report's files.
"""
