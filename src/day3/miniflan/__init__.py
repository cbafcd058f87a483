"""mini-FLAN: the kit's offline stand-in for Flan-T5, its generated instruction tasks and its build."""
