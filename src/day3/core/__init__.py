"""The kit's foundation, importing no other day3 package: errors, offline switches, device and
dtype, messages and progress, range checks, run folders and checkpoints, plots, hashing, the flag
generator and what every lesson shares."""
