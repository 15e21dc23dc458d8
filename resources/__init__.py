"""Files the installed program needs at run time, loaded with importlib.resources."""
