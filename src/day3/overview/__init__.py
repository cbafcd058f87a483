"""`day3 overview`: what is installed, reachable, cached and embedded on this machine."""
