"""The final exercise's grader, `day3 check`: the learner's file (4_WrapUpAndDemo/final_exercise.py)
graded task by task on hidden cases drawn at grading time, then the tasks run together on a tiny
model.

- tasks:    the registry (name, points, where the course shows how) and the graders: pure
            functions from (the learner's answer, the facts of one hidden case) to a hint, or
            None when right. They run in the `day3 check` process and import no torch.
- cases:    the hidden cases, built in the worker from a seed (models, probes, logits, ...),
            each with the facts its grader needs, computed by the kit, not by the learner.
- worker:   the subprocess that runs the learner's code: one JSON line per event on a private
            channel (the learner's prints go to stderr), never `eval`.
- endtoend: the learner's functions together: LoRA with their targets on tiny-bert, their
            compute_metrics in the Trainer, their forgetting measure, their label masking.
- runner:   starts the worker, holds each task to its timeout, restarts it after a timeout or
            a crash, so one broken task costs that task only.
- check:    `CheckConfig` and `run_check`: the verb, its table and its JSON summary.
"""
