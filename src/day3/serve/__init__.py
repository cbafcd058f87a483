"""`day3 serve RUN`: a local web app on a run folder (Gradio): a Predict tab (the run's label
and class probabilities, or generated text for a seq2seq model) and a Train tab (a new
fine-tuning job, run as `day3 finetune-classifier` in a subprocess, watched through its files).

config     ServeConfig (the flags) and what kind of run a folder holds
predictor  the model, loaded once; batched, length-sorted predictions; which runs may be served
jobs       the Train tab's one job at a time: its command, its subprocess, its state from files
uploads    the Train tab's uploaded training files: type, size, the kit's validation
app        the Gradio Blocks (build_app) and the server (run_serve)
"""
