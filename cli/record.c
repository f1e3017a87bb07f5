/* record.c -- `sekit record`: stream images through the engine, keep every SE block's gates. */
#include "cli.h"

#include <stdio.h>

static const struct cli_cmd cmd = {
    "record",
    "record --out RUN.h5 [OPTIONS]",
    "Records, for every selected image, each SE block's excitation (the sigmoid gate, one "
    "value\nper channel), the label, prediction and logits, into one HDF5 file "
    "(docs/record-format.md).\nWhile it runs, rows go to RUN.h5.journal; RUN.h5 appears only "
    "when complete. A run that is\nkilled, or whose write fails, can be continued with "
    "--resume (same arguments and model).\nUnder mpirun each rank records its share of the "
    "images into RUN.h5.journal.rank-R-of-N,\nand rank 0 writes RUN.h5 from them; --resume "
    "then needs as many ranks and the same --batch.\n",
    NULL,
    0,
    {"--out"},
    "# fifty images of each class, sampled with seed 1; a killed run is continued with --resume\n"
    "sekit record --out run.h5 --per-class 50 --seed 1\n"
    "sekit record --out run.h5 --per-class 50 --seed 1 --resume\n"};

int cmd_record(int argc, char **argv)
{
    struct cli_pipeline cp;
    cli_pipeline_init(&cp, 1);
    struct sekit_record_job j = {0};
    const char *pos;
    const struct opt own[] = {
        OPT_S("--out", &j.out, "FILE", "the recording (required; its directory must exist)"),
        OPT_S("--blocks", &j.blocks, "LIST",
              "SE blocks to record, by paper name or module prefix (default all)"),
        OPT_F("--squeeze", &j.squeeze,
              "also record the squeeze vectors (spatial means before the FCs)"),
        OPT_F("--resume", &j.resume,
              "continue an interrupted run of the same arguments (FILE.journal)"),
        OPT_F("--force", &j.force, "overwrite an existing recording"),
        OPT_END,
    };
    int rc = cli_parse(&cmd, own, cp.tab, argc, argv, &pos);
    if (rc) return rc == OPTS_HELP ? CLI_OK : rc;
    if (j.resume && j.force)
        return cli_usage_error("record", "--resume and --force exclude each other");
    struct cli_progress bar;
    const struct sekit_progress *pr = cli_progress(&bar, "record", cp.quiet);
    struct sekit_pipeline p;
    if ((rc = cli_pipeline_open(&cp, "record", &p, pr))) return rc;
    struct sekit_err e = {0};
    rc = sekit_job_record(&p, &j, pr, &e);
    if (!rc && !cp.quiet)
        fprintf(stderr, "sekit record: %lld images, %d SE blocks -> %s\n", (long long)p.n,
                j.nblocks, j.out);
    sekit_pipeline_close(&p);
    return rc ? cli_fail("record", &e) : CLI_OK;
}
