/*
 * opts.h -- the one option parser of every sekit subcommand. A subcommand describes its options
 * in tables; the parser takes `--opt value` and `--opt=value`, checks every value strictly
 * (integers and reals finite and in range, choices among their names), reports every bad command
 * line in one wording with exit status 2, and prints --help from the same tables, so the help
 * cannot drift from what is parsed.
 */
#ifndef SEKIT_CLI_OPTS_H
#define SEKIT_CLI_OPTS_H

enum opt_type {
    OPT_FLAG,   /* int *: set to 1 */
    OPT_STR,    /* const char **: the value as given */
    OPT_INT,    /* long *: an integer in [lo, hi] */
    OPT_REAL,   /* double *: a finite number in [lo, hi] */
    OPT_REALS,  /* struct opt_reals *: 1 to 3 comma-separated finite numbers, each in [lo, hi] */
    OPT_CHOICE, /* int *: the index of the value in choices (NULL-terminated) */
    OPT_MULTI,  /* struct opt_multi *: a string option that may be given more than once */
};

struct opt_reals {
    int n; /* 0: not given */
    double v[3];
};

struct opt_multi {
    int n;
    const char **v; /* owned by the parser's caller: free(v) */
};

struct opt {
    const char *name; /* "--out"; NULL ends a table */
    enum opt_type type;
    void *dst;
    double lo, hi;
    const char *const *choices;
    const char *arg;  /* the value's name in the help, e.g. "FILE" */
    const char *help; /* one or more lines; continuation lines are indented by the printer */
};

/* Table rows by type: a string, a flag, an integer or real in [lo, hi], a choice. */
#define OPT_S(name, dst, arg, help)                                                                \
    {                                                                                              \
        name, OPT_STR, dst, 0, 0, NULL, arg, help                                                  \
    }
#define OPT_F(name, dst, help)                                                                     \
    {                                                                                              \
        name, OPT_FLAG, dst, 0, 0, NULL, NULL, help                                                \
    }
#define OPT_N(type, name, dst, lo, hi, arg, help)                                                  \
    {                                                                                              \
        name, type, dst, lo, hi, NULL, arg, help                                                   \
    }
#define OPT_C(name, dst, choices, arg, help)                                                       \
    {                                                                                              \
        name, OPT_CHOICE, dst, 0, 0, choices, arg, help                                            \
    }
#define OPT_END                                                                                    \
    {                                                                                              \
        NULL, OPT_FLAG, NULL, 0, 0, NULL, NULL, NULL                                               \
    }

struct cli_cmd {
    const char *name;       /* "record" */
    const char *usage;      /* after "usage: sekit " */
    const char *about;      /* paragraphs between the usage line and the options */
    const char *positional; /* what the one positional argument is, or NULL for none */
    int positional_required;
    const char *required[3]; /* options the command line must give */
    const char *examples;    /* real command lines, one per line, each after a "# what" line */
};

enum { OPTS_PARSED = 0, OPTS_HELP = -1 };

/* "sekit VERSION (backends: ...)" on stdout, for `sekit --version` and `sekit CMD --version`. */
void cli_print_version(void);

/* Parses argv[1..argc) (argv[0] is the subcommand) against the options of own and then extra
 * (a second table, or NULL), each ended by an entry with a NULL name. Returns OPTS_PARSED,
 * OPTS_HELP after printing the help (--help, -h) or the version (--version) on stdout, or CLI_USAGE
 * (2) after printing one error line on stderr (also for a required option or positional argument
 * that is missing). *pos gets the positional argument, or NULL. */
int cli_parse(const struct cli_cmd *c, const struct opt *own, const struct opt *extra, int argc,
              char **argv, const char **pos);

/* Prints "sekit CMD: <msg> (see 'sekit CMD --help')" and returns CLI_USAGE. Every message has
 * one shape: what is wrong first (the option, argument or file), a colon, then the problem, e.g.
 * "sekit record: --batch: expected an integer in [1, 4096], got 'x'". */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

extern const char *const cli_backend_names[];

#endif
