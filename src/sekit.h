/*
 * sekit.h -- the public contract of the sekit engine (libsekit).
 *
 * sekit runs trained Squeeze-and-Excitation ResNets (Hu et al., "Squeeze-and-Excitation
 * Networks") on the CPU in float32, batched (inputs NCHW), and exposes every SE block's squeeze and
 * excitation vectors so that later stages (record, analysis, plots) can study them.
 *
 * Conventions
 *  - Every function that can fail returns an int status (SEKIT_OK == 0) and fills the
 *    struct sekit_err the caller passes in with a one-line message that names the file and
 *    the problem. The library never prints and never exits; only the CLI does.
 *  - Programming errors (a violated precondition) abort with file:line (SEKIT_ASSERT).
 *  - X_open/X_build allocate, X_free/X_close release and accept NULL. Pointers returned by
 *    accessors are borrowed and stay valid until the owning object is freed.
 *  - Shapes are written (N, C, H, W): N images, C channels, H x W spatial; K classes;
 *    CR the reduced width of an SE block.
 */
#ifndef SEKIT_H
#define SEKIT_H

#include <stddef.h>
#include <stdint.h>

#define SEKIT_VERSION "0.1.0"

/* ---------------------------------------------------------------------------------------- */
/* status and errors */

enum sekit_status {
    SEKIT_OK = 0,
    SEKIT_EINVAL,  /* a bad argument (CLI value, out-of-range option) */
    SEKIT_ENOMEM,  /* an allocation failed */
    SEKIT_EIO,     /* a file could not be opened, read or written */
    SEKIT_EFORMAT, /* a file is not what it claims to be (corrupt, truncated, malformed) */
    SEKIT_ESHAPE,  /* tensors do not fit the architecture */
    SEKIT_EHDF5,   /* the HDF5 library reported an error */
    SEKIT_ECAIRO,  /* cairo reported an error */
};

#define SEKIT_ERRMSG_MAX 1024

struct sekit_err {
    int code;
    char msg[SEKIT_ERRMSG_MAX];
};

/* Sets e (if not NULL) to code and a printf-formatted message; returns code. The arguments may
 * include e->msg itself (to prefix or extend the previous message). */
int sekit_errf(struct sekit_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "a, b, c": name(ctx, i) for i in [0, n) joined into buf, ending in ", ..." when they do not
 * all fit; for messages that list the valid names. Returns buf. */
const char *sekit_name_list(char *buf, size_t size, const char *(*name)(const void *ctx, int i),
                            const void *ctx, int n);

/* Seconds on a monotonic clock (for durations). */
double sekit_seconds(void);

/* A short constant text for a status code. */
const char *sekit_strerror(int code);

/* The layout of this header's structs as the library was built, for bindings that mirror them
 * (python/sekit checks every ctypes mirror against it when loading the library): *offset and
 * *size in bytes of `member` of struct `type` ("sekit_err", "msg"), or with member NULL the
 * struct's size (*offset 0). 0 for a struct and member the header declares, -1 otherwise. */
int sekit_struct_layout(const char *type, const char *member, size_t *offset, size_t *size);

/* Prints "file:line: assertion failed: expr" to stderr and aborts. Stays on in release builds:
 * it guards cheap invariants whose violation means a bug in sekit, not bad input. */
#define SEKIT_ASSERT(x)                                                                            \
    do {                                                                                           \
        if (!(x)) sekit_abort(__FILE__, __LINE__, #x);                                             \
    } while (0)
_Noreturn void sekit_abort(const char *file, int line, const char *expr);

/* ---------------------------------------------------------------------------------------- */
/* activations */

/* The activations the supported families apply, computed exactly as torch 1.13's CPU kernels
 * do (src/ops/act.c). */
enum sekit_act {
    SEKIT_ACT_NONE,
    SEKIT_ACT_RELU,        /* max(x, 0) */
    SEKIT_ACT_RELU6,       /* min(max(x, 0), 6) */
    SEKIT_ACT_SILU,        /* x / (1 + exp(-x)) */
    SEKIT_ACT_HARDSWISH,   /* x * clamp(x + 3, 0, 6) / 6, left to right */
    SEKIT_ACT_SIGMOID,     /* 1 / (1 + exp(-x)) */
    SEKIT_ACT_HARDSIGMOID, /* clamp(x + 3, 0, 6) / 6 */
};

/* "relu", "silu", ... */
const char *sekit_act_name(enum sekit_act a);

/* ---------------------------------------------------------------------------------------- */
/* threads */

/* Sets the number of threads the engine uses: a batch of at least n images is split into n
 * shares run in parallel, each with single-threaded kernels; a smaller batch runs its
 * convolutions on n OpenBLAS or oneDNN (OpenMP) threads. n <= 0 means all online cores (at most
 * 256). Returns the number in effect. */
int sekit_set_threads(int n);

/* ---------------------------------------------------------------------------------------- */
/* backends */

/* How the engine computes convolutions. Both give the same results to float32 rounding (every
 * golden test runs on both); they differ in speed and in what they need at build time. */
enum sekit_backend {
    SEKIT_BACKEND_OPENBLAS, /* NCHW activations, im2col + OpenBLAS sgemm: the portable path */
    SEKIT_BACKEND_ONEDNN,   /* NHWC activations, oneDNN's direct convolutions with the bias and
                               ReLU fused: the fast path, when sekit is built with libdnnl */
};

const char *sekit_backend_name(enum sekit_backend b);
/* The backend called name ("openblas", "onednn"), or -1. */
int sekit_backend_parse(const char *name);
/* 1 when this build has backend b. */
int sekit_backend_available(enum sekit_backend b);
/* The backend new models use: oneDNN when available, else OpenBLAS. */
enum sekit_backend sekit_backend_default(void);

/* ---------------------------------------------------------------------------------------- */
/* safetensors reader (src/safetensors.c)
 *
 * The whole header is validated before anything is allocated from it: length, JSON syntax
 * (duplicate keys rejected), dtype names, shapes, offsets (contiguous from 0, no gap, no
 * overlap, the buffer ends exactly at end of file), sizes checked for overflow. */

enum sekit_dtype {
    SEKIT_DT_BOOL,
    SEKIT_DT_U8,
    SEKIT_DT_I8,
    SEKIT_DT_F8_E5M2,
    SEKIT_DT_F8_E4M3,
    SEKIT_DT_I16,
    SEKIT_DT_U16,
    SEKIT_DT_F16,
    SEKIT_DT_BF16,
    SEKIT_DT_I32,
    SEKIT_DT_U32,
    SEKIT_DT_F32,
    SEKIT_DT_F64,
    SEKIT_DT_I64,
    SEKIT_DT_U64,
};

#define SEKIT_ST_MAX_RANK 8

struct sekit_st_tensor {
    const char *name;
    enum sekit_dtype dtype;
    int ndim;
    int64_t shape[SEKIT_ST_MAX_RANK];
    uint64_t numel;
    uint64_t begin, end; /* byte offsets relative to the data buffer */
};

struct sekit_st;

int sekit_st_open(struct sekit_st **out, const char *path, struct sekit_err *e);
void sekit_st_close(struct sekit_st *st);
const char *sekit_st_path(const struct sekit_st *st);
int sekit_st_count(const struct sekit_st *st);
/* i in [0, count): tensors in the order of their data offsets. */
const struct sekit_st_tensor *sekit_st_tensor(const struct sekit_st *st, int i);
/* NULL when absent. */
const struct sekit_st_tensor *sekit_st_find(const struct sekit_st *st, const char *name);
/* A __metadata__ value, or NULL. */
const char *sekit_st_meta(const struct sekit_st *st, const char *key);
/* Reads t into dst (t->numel floats), converting F32, F16 or BF16; other dtypes: SEKIT_EFORMAT. */
int sekit_st_read_f32(const struct sekit_st *st, const struct sekit_st_tensor *t, float *dst,
                      struct sekit_err *e);
const char *sekit_dtype_name(enum sekit_dtype dt);

/* ---------------------------------------------------------------------------------------- */
/* architecture (src/arch.c) */

/* Weight-name layouts of the projects that publish SE network weights. */
enum sekit_layout {
    SEKIT_LAYOUT_TIMM,      /* conv1, layerX.Y.se.fc1/fc2 (1x1 conv, bias), fc */
    SEKIT_LAYOUT_LEGACY,    /* Cadene / timm legacy: layer0.conv1, se_module.fc1/fc2, last_linear */
    SEKIT_LAYOUT_MOSKOMULE, /* torchvision names, se.fc.0/.2 (Linear, no bias) */
    SEKIT_LAYOUT_TORCHVISION, /* torchvision's own EfficientNet, MobileNetV3, RegNetY: features.*,
                                 trunk_output.* */
    SEKIT_LAYOUT_TIMM_ZOO, /* timm's EfficientNet, MobileNetV3 (conv_stem, blocks.<s>.<i>.conv_pw,
                              se.conv_reduce) and RegNet (stem.conv, s<n>.b<m>.conv1.conv) */
};

/* The families of SE networks sekit runs. SE-ResNets are described by the stage fields of struct
 * sekit_arch; the others by its block list (struct sekit_net_block). */
enum sekit_family {
    SEKIT_FAMILY_SERESNET,     /* SE-ResNet, SE-ResNeXt, SENet-154 */
    SEKIT_FAMILY_EFFICIENTNET, /* MBConv (and EfficientNetV2's fused) blocks, SiLU, sigmoid SE */
    SEKIT_FAMILY_MOBILENETV3,  /* inverted residuals, ReLU / hard swish, hard-sigmoid SE */
    SEKIT_FAMILY_REGNETY,      /* bottlenecks with a grouped 3x3 and SE on it */
    SEKIT_FAMILY_REXNET,       /* timm's ReXNet: linear bottlenecks, SE with BN, ReLU6 after it,
                                  a residual on the first input-many channels */
    SEKIT_FAMILY_BYOBNET,      /* timm's ByobNet SE-ResNe(X)ts: SiLU bottlenecks with SE on the
                                  middle conv, a tiered stem, a final 1x1 feature conv */
    SEKIT_FAMILY_GHOSTNET,     /* timm's GhostNet (v1): ghost bottlenecks, hard-sigmoid SE */
};

#define SEKIT_MAX_SPLIT 5 /* MixNet: kernels of one split depthwise conv */

enum sekit_net_block_kind {
    SEKIT_NB_MBCONV,     /* [1x1 expand], depthwise k x k, [SE], 1x1 project */
    SEKIT_NB_FUSED,      /* k x k expand, [SE], [1x1 project] (EfficientNetV2; timm's EdgeResidual,
                            and ConvBnAct without the projection) */
    SEKIT_NB_BOTTLENECK, /* RegNetY: 1x1, grouped 3x3, SE, 1x1; projection shortcut; ReLU after */
    SEKIT_NB_GHOST,      /* GhostNet: ghost module (ReLU), [depthwise k x k /2], [SE], ghost module;
                            shortcut: identity or depthwise k x k then 1x1 (projection) */
};

/* One block of a family other than SE-ResNet, in network order. */
struct sekit_net_block {
    enum sekit_net_block_kind kind;
    int in_c, mid, out_c;   /* input, expanded (or bottleneck) width, output */
    int k, stride, groups;  /* the spatial conv (depthwise: groups = mid) */
    int expand;             /* MBConv: has the 1x1 expansion; fused: has the 1x1 projection */
    int se_reduced;         /* 0: no SE */
    int projection;         /* RegNetY: a 1x1 strided conv shortcut */
    enum sekit_act act;     /* the block's activation */
    int up_stage, up_index; /* upstream module indices (features.<s>.<i>, block<s>-<i>) */
    /* What a family's rule fixes, or a timm model's arch_def says block by block (arch_timm.c):
     * the SE's inner activation and gate (SEKIT_ACT_NONE: the family's), no residual even where
     * the shapes allow one, an activation after MBConv's last conv (timm's dsa blocks) */
    enum sekit_act se_act, gate;
    int noskip, pw_act;
    /* MixNet: the depthwise conv split into nsplit channel groups of kernels split_k (0, 1: one
     * kernel k; k is then the largest), the 1x1 expansion and projection into exp_split and
     * pwl_split groups (0, 1: one conv) */
    int nsplit, split_k[SEKIT_MAX_SPLIT], exp_split, pwl_split;
};

enum sekit_stem {
    SEKIT_STEM_IMAGENET, /* 7x7/2 conv, BN, ReLU, 3x3/2 max-pool padding 1 (timm) */
    SEKIT_STEM_CAFFE,    /* 7x7/2 conv, BN, ReLU, 3x3/2 max-pool ceil mode, no padding */
    SEKIT_STEM_SMALL,    /* 3x3/1 conv, BN, ReLU, no pool (28x28, 32x32 inputs) */
};
/* A deep stem (stem_deep) replaces the 7x7 conv by three 3x3 convs (/2, /1, /1, each with BN
 * and ReLU): timm's deep and tiered stems (conv1.0/.3/.6) and SENet-154's (layer0.conv1-3). The
 * pool that follows is the stem's: imagenet or caffe, or a 2x2/2 average pool with aa. */

enum sekit_block_kind {
    SEKIT_BLOCK_BASIC,      /* 3x3, 3x3; expansion 1 */
    SEKIT_BLOCK_BOTTLENECK, /* 1x1, 3x3 (grouped), 1x1; expansion 4 */
};

#define SEKIT_MAX_STAGES 8
#define SEKIT_MAX_BLOCKS 64      /* per stage */
#define SEKIT_MAX_NET_BLOCKS 128 /* other families: in all */

struct sekit_arch {
    char name[64]; /* preset name, or "inferred" */
    enum sekit_layout layout;
    enum sekit_stem stem;
    enum sekit_block_kind block;
    int stride_on_3x3; /* 1: stride on the 3x3 conv (timm, torchvision); 0: on the first 1x1 */
    int in_chans, num_classes, stem_width;
    int nstages;
    int blocks[SEKIT_MAX_STAGES];
    int planes[SEKIT_MAX_STAGES]; /* stage output = planes * expansion */
    int groups, base_width;       /* ResNeXt: width = floor(planes * base_width / 64) * groups */
    int se_bias;                  /* the SE FCs have biases */
    int se_linear;      /* the SE FC weights are 2-D Linear [CR, C] (else [CR, C, 1, 1]) */
    int relu_before_se; /* a ReLU on the branch before SE (Cadene's basic SEResNetBlock) */
    int stem_deep;      /* three 3x3 stem convs instead of one (see enum sekit_stem) */
    int stem_chs[2];    /* deep stem: outputs of its first two convs (the third's: stem_width) */
    int avg_down;       /* projection shortcuts: 2x2 average pool (ceil mode, stride 2 blocks
                           only) then 1x1 conv, named downsample.1 / .2 (timm -d, -t models) */
    int aa;             /* anti-aliasing as timm's aa_layer=nn.AvgPool2d: a strided 3x3 becomes
                           stride 1 followed by a 2x2/2 average pool, and so does the stem pool.
                           Weight names cannot show it: a preset, config.json or metadata can */
    int reduce_first;   /* bottleneck conv1 has width / reduce_first outputs (SENet-154: 2) */
    /* Per block: reduced SE width, projection shortcut, its kernel size. */
    int se_reduced[SEKIT_MAX_STAGES][SEKIT_MAX_BLOCKS];
    unsigned char has_downsample[SEKIT_MAX_STAGES][SEKIT_MAX_BLOCKS];
    unsigned char downsample_kernel[SEKIT_MAX_STAGES][SEKIT_MAX_BLOCKS];
    /* The other families (family != SEKIT_FAMILY_SERESNET): stem_width is the stem conv's
     * output, num_classes and in_chans as above, and */
    enum sekit_family family;
    double bn_eps; /* BatchNorm eps: not in the weights, part of the architecture */
    enum sekit_act stem_act;
    enum sekit_act head_act; /* the head conv's (or hidden FC's); SEKIT_ACT_NONE: the family's */
    int stem_pool; /* ByobNet's three-conv stem: 1 a 3x3/2 max-pool after it, 0 its third conv
                      strided instead, -1 unknown (the weights are the same) */
    int nnet; /* blocks */
    struct sekit_net_block net[SEKIT_MAX_NET_BLOCKS];
    int head_width;  /* the 1x1 head conv's outputs before the pool; 0: none */
    int head_hidden; /* MobileNetV3: the classifier's hidden width (torchvision's Linear, timm's
                        conv_head after the pool) */
    int head_bias;   /* timm MobileNetV3: conv_head has a bias */
    int same_pad;    /* TF 'same' padding (timm's tf_ ports), computed from the input size */
};

/* The derived shape of one residual block. */
struct sekit_block_shape {
    int stage_index, block_index; /* 0-based: layer(stage_index+1).block_index */
    int in_c, width, out_c, stride, groups;
    int first; /* bottleneck conv1 outputs: width / reduce_first */
    int se_reduced, has_downsample, downsample_kernel;
};

const char *sekit_layout_name(enum sekit_layout l);
/* "SE-ResNet", "EfficientNet", "MobileNetV3", "RegNetY" */
const char *sekit_family_name(enum sekit_family f);
const char *sekit_stem_name(enum sekit_stem s);

/* Fills a with a named preset (seresnet18/34/50/101/152, seresnext50_32x4d, seresnet50t,
 * seresnext26d_32x4d, seresnetaa50d, senet154, legacy_seresnet50, legacy_senet154, ...): every
 * upstream SE-ResNet sekit runs. SEKIT_EINVAL with the list of names when unknown, and with the
 * unsupported feature named for upstream SE models sekit cannot run (timm's ByobNet ones). */
int sekit_arch_preset(struct sekit_arch *a, const char *name, struct sekit_err *e);
/* Why sekit does not run upstream model `name`, or NULL when it is not one it refuses. */
const char *sekit_arch_refusal(const char *name);
/* A NULL-terminated list of preset names. */
const char *const *sekit_arch_preset_names(void);

/* Infers the architecture from a weight file's names and shapes. The result is only a
 * hypothesis: sekit_model_load checks every tensor against it. */
int sekit_arch_infer(struct sekit_arch *a, const struct sekit_st *st, struct sekit_err *e);
/* Checks that inferred architecture a is preset p's (blocks, widths, stem, shortcuts) and takes
 * what weight names cannot show (aa) from p. SEKIT_ESHAPE naming the first difference. what
 * says where p came from in the message ("config.json architecture 'seresnetaa50d'"). */
int sekit_arch_match(struct sekit_arch *a, const struct sekit_arch *p, const char *path,
                     const char *what, struct sekit_err *e);
/* The anti-aliased upstream model whose weights have exactly a's names and shapes, or NULL:
 * such weights may be either, and only a claim tells (sekit_model_load_as refuses them
 * without one). */
const char *sekit_arch_aa_twin(const struct sekit_arch *a);
/* One line describing the stem, e.g. "deep 3x3 stem 24-32-64, max-pool padding 1". */
const char *sekit_arch_stem_desc(const struct sekit_arch *a, char *buf, size_t size);

/* Shape of block (s, b); s, b 0-based. */
struct sekit_block_shape sekit_arch_block(const struct sekit_arch *a, int s, int b);
/* Channels entering the classifier. */
int sekit_arch_features(const struct sekit_arch *a);
/* How many times the network reduces its input's height and width (32 for ImageNet models). */
int sekit_arch_stride(const struct sekit_arch *a);

/* ---------------------------------------------------------------------------------------- */
/* model (src/model.c) */

enum sekit_se_mode {
    SEKIT_SE_NORMAL,  /* the block's own gate */
    SEKIT_SE_REMOVED, /* gate := 1: the block is the identity on its branch */
    SEKIT_SE_FIXED,   /* a caller-supplied gate vector [C], the same for every image */
};

struct sekit_se_info {
    char name[32];    /* the paper's name: SE_<stage>_<block>, stage 2 = first residual stage */
    char module[64];  /* weight-name prefix, e.g. layer3.5.se */
    int stage, block; /* as in the name */
    int channels, reduced;
    int64_t params;      /* FC weights and biases */
    enum sekit_act gate; /* on the excitation: sigmoid, or a hard sigmoid that saturates at
                            exactly 0 and 1 */
    enum sekit_act act;  /* between the two FCs */
};

struct sekit_model;

/* Builds a model from a safetensors file: infers the architecture, checks every tensor's
 * name and shape (the first that does not fit is named), folds BN into the convolutions.
 * The upstream model it claims to be, if any, is checked against the inference and supplies
 * what names cannot show (sekit_arch_match): arch (a preset name; NULL: none), else the file's
 * __metadata__ "sekit.arch", else the "architecture" of timm's config.json beside the file
 * (ignored when it names no SE-ResNet sekit knows, unless it is one sekit refuses). */
int sekit_model_load_as(struct sekit_model **out, const char *path, const char *arch,
                        struct sekit_err *e);
/* sekit_model_load_as(out, path, NULL, e) */
int sekit_model_load(struct sekit_model **out, const char *path, struct sekit_err *e);
/* Builds a model of architecture a with seeded synthetic weights (benchmarks, tests). */
int sekit_model_synthetic(struct sekit_model **out, const struct sekit_arch *a, uint64_t seed,
                          struct sekit_err *e);
void sekit_model_free(struct sekit_model *m);

const struct sekit_arch *sekit_model_arch(const struct sekit_model *m);
/* Parameters as PyTorch's parameters() counts them: weights, biases, BN weight and bias; not BN
 * running statistics. */
int64_t sekit_model_params(const struct sekit_model *m);
/* Multiply-accumulate operations of one forward pass at H x W (SE FCs included). */
int64_t sekit_model_macs(const struct sekit_model *m, int H, int W);
/* The safetensors __metadata__ value for key, or NULL (synthetic models have none). */
const char *sekit_model_meta(const struct sekit_model *m, const char *key);

int sekit_model_se_count(const struct sekit_model *m);
const struct sekit_se_info *sekit_model_se_info(const struct sekit_model *m, int i);
/* Index of the SE block with the given paper name or module prefix, or -1. */
int sekit_model_se_find(const struct sekit_model *m, const char *name);
/* The SE blocks' paper names, "SE_2_1, SE_2_2, ...", into buf (sekit_name_list). */
const char *sekit_model_se_names(const struct sekit_model *m, char *buf, size_t size);

/* Sets block i's mode before a forward pass. gate ([C] floats) is copied for SEKIT_SE_FIXED and
 * ignored otherwise. */
void sekit_model_se_set(struct sekit_model *m, int i, enum sekit_se_mode mode, const float *gate);

/* Makes m compute with backend b (new models start with sekit_backend_default()). A prepared
 * model is prepared again at the same size, which can fail as sekit_model_prepare does;
 * SEKIT_EINVAL when this build lacks b. */
int sekit_model_set_backend(struct sekit_model *m, enum sekit_backend b, struct sekit_err *e);
enum sekit_backend sekit_model_backend(const struct sekit_model *m);

/* Allocates the activation buffers for batches of up to max_n images of C x H x W (C =
 * in_chans). Must be called before sekit_model_forward; calling again re-sizes. The oneDNN
 * backend also compiles its convolutions here, for the thread count then in effect (a later
 * sekit_set_threads makes the next pass compile them again). */
int sekit_model_prepare(struct sekit_model *m, int max_n, int H, int W, struct sekit_err *e);

/* Runs x (N, in_chans, H, W) through the network; writes logits (N, K). N <= max_n and H, W as
 * prepared. Afterwards every SE block's gate and squeeze vectors of this batch can be read. */
void sekit_model_forward(struct sekit_model *m, const float *x, int N, float *logits);

/* Top-k accuracy tallies of a batch: for each image b of label y = labels[b], n[y] += 1,
 * top1[y] += (no logit above logit y), topk[y] += (fewer than k logits above it): ties count
 * in the label's favour. */
void sekit_tally_topk(const float *logits, const int *labels, int nb, int K, int k, int64_t *n,
                      int64_t *top1, int64_t *topk);

/* Sharing computation between variants of the network (ablations). After
 * sekit_model_capture(m, i, dst), every forward pass copies block i's input activation into dst
 * (N x sekit_model_block_input_size floats, in the backend's own layout: only the model that
 * wrote it, with the same backend, reads it back; NULL stops it). sekit_model_forward_from then
 * runs blocks i.. and the head from such an activation, with the SE modes then in force; it
 * never captures, so every captured activation stays that of the last full pass. */
size_t sekit_model_block_input_size(const struct sekit_model *m, int i);
void sekit_model_capture(struct sekit_model *m, int i, float *dst);
void sekit_model_forward_from(struct sekit_model *m, int i, const float *act, int N, float *logits);
/* Runs blocks i .. j-1 (i < j < block count) from block i's input act, with the SE modes then
 * in force, and writes block j's input to out (N x sekit_model_block_input_size(m, j)); never
 * captures. Variants that agree on blocks i .. j-1 share this part of their passes. */
void sekit_model_forward_range(struct sekit_model *m, int i, int j, const float *act, int N,
                               float *out);
/* Block i's output height and width at the prepared input size. */
void sekit_model_block_hw(const struct sekit_model *m, int i, int *h, int *w);

/* After a forward pass of N images: block i's excitation (the applied gate) and squeeze
 * vectors, each (N, C), row n for image n. */
const float *sekit_model_gate(const struct sekit_model *m, int i);
const float *sekit_model_squeeze(const struct sekit_model *m, int i);

/* ---------------------------------------------------------------------------------------- */
/* installed files (src/paths.c) and input images (datasets/input.c) */

/* The bundled default model, fashion_mnist_seresnet50.safetensors: under share/sekit/models of
 * the installation whose library (or sekit binary) holds this code, found relative to it so a
 * moved or staged installation still finds its own, else under the datadir sekit was configured
 * with; a library or binary still in its build tree takes the source tree's models/. Never
 * NULL; the file may be missing, which loading it then reports. */
const char *sekit_default_model_path(void);

/* How 8-bit images become a model's input, exactly as sekit record reads them. */
enum sekit_input_kind {
    SEKIT_INPUT_STORED, /* as sets of stored images are read (IDX, CIFAR): at their own size,
                           centre-cropped when the model's preprocessing has a crop */
    SEKIT_INPUT_FOLDER, /* as files of image folders are read: the shorter side resized as
                           Pillow does (bicubic or bilinear), then centre-cropped */
};

/* The resolved preprocessing of images of one size (sekit_input_resolve). */
struct sekit_input {
    enum sekit_input_kind kind;
    int h, w, c;           /* the images taken: h x w pixels of c interleaved channels (1 gray,
                              3 RGB) */
    int channels, size;    /* the model input of each: channels x size x size */
    int resize, crop;      /* shorter side after resizing, centre crop side; 0: none */
    int bicubic;           /* resize filter: 1 bicubic, 0 bilinear */
    int bgr, scale255;     /* Caffe models: BGR channel order, values 0..255 instead of 0..1 */
    float mean[3], std[3]; /* per model channel: (value - mean) / std */
    char desc[256];        /* one line, as recordings store it (`preprocessing`) */
};

/* Resolves how model m, loaded from model_path (its metadata and a config.json beside it
 * decide, as for sekit record), takes h x w images of c channels read as kind says. Gray
 * images feed 3-channel models replicated; colour images and 1-channel models are refused
 * (SEKIT_EINVAL), and so is a crop larger than the images. */
int sekit_input_resolve(struct sekit_input *in, const struct sekit_model *m, const char *model_path,
                        enum sekit_input_kind kind, int h, int w, int c, struct sekit_err *e);

/* Converts n images src (n, h, w, c) into dst (n, channels, size, size), as resolved in in;
 * the values are those sekit record feeds the network. */
int sekit_input_convert(const struct sekit_input *in, const uint8_t *src, int64_t n, float *dst,
                        struct sekit_err *e);

#endif
