"""The course summary, `day3 summary [RUNS_DIR]`: the recap built from the learner's own run
folders (what they trained, their numbers, their forgetting and strategies tables, their
exercise score), then the key takeaways of each session and further reading.

    collect    SummaryConfig, the discovery of run folders (by the kit's marker), run_summary
    kinds      what each kind of run folder holds, read into plain facts
    files      reading a folder's files without leaving RUNS_DIR, and values without trust
    course     the sessions' takeaways and the further reading: data, no measured number
    render     the facts as Markdown (stdout, summary.md) and HTML (summary.html)
"""
