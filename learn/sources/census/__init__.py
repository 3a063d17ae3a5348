"""U.S. Census boundaries: ``tiger`` (counties offline, places and states from TIGER/Line) and ``places`` (one
state's places for a picker)."""
