"""FastAPI service (thin shell over ``learn``); arrives with the web-map issue."""
