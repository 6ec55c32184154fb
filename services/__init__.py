"""Use cases of Gatehouse: each takes its ports as parameters and is given the time."""
