"""How Timeline is served: `make run` and the tests' real server (tests/served.py)
both start gunicorn with this file, so the tests serve what ships. The address
and the number of workers come from the command line.
"""

# gevent workers (timeline/server.py): a slow client holds a greenlet, not a
# worker, so a few of them cannot starve the service; each worker takes up to
# worker_connections clients at once. A write's body is read into memory first
# (at most 1 MiB), so that many clients sending bodies at once can hold up to
# worker_connections MiB per worker.
worker_class = "timeline.server.ProblemGeventWorker"
worker_connections = 1000

# Seconds a client may stay idle between requests, and the most a request's
# line and headers may take to arrive; a client still sending them is cut off.
# Not 0: the gevent worker then reads a request head with no deadline.
keepalive = 5

# Workers that do not check in for this long are restarted, and a client that
# sends or reads nothing for this long in the middle of a request is cut off.
timeout = 30

# What gunicorn refuses before the app sees it (answered as problem+json):
# a request line over 4094 bytes is a 414; more than 100 header fields, or one
# over 8190 bytes, is a 431. Bodies are limited by the app (MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"

# gunicorn's runtime control socket is not used; without it, servers on one
# machine do not share (and remove) one socket path.
control_socket_disable = True
