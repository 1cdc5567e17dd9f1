"""A client of the Exports API, for exportd and any server speaking it (Asana's own).

`api` makes requests (retries, waits, one-line errors), `exports` requests and follows an
export of any kind, `download` fetches its file resumably and verifies it, `progress`
shows all of that on a terminal or as plain lines. `exportd export` is built on it, and
`load` reads the files it fetches into DuckDB.
"""
