"""The trainer's live app: a Mesa SolaraViz page (`lcsim app`), its network picture and charts.

`app` holds the Solara page and imports Solara; `live`, `network` and `charts` need only
the model and matplotlib, so they can be used and tested without a browser.
"""
