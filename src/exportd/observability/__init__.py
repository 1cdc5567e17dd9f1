"""What operators see of a running exportd: its logs (`logs`) and its metrics (`metrics`)."""
