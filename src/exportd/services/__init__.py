"""The service layer: what a request asks for, as one unit of work per use case.

API modules parse a request, call one service function and present its answer; services
own the transaction, the permission and one-in-progress rules, job creation and the notice
to whoever runs jobs. They know nothing of HTTP.
"""
