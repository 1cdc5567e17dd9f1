"""The use cases behind the API: the rules, unit of work and queue notification of each request."""
