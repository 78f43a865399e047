/*
 * onnxruntime's C API, called directly from Node-API: sessions whose run() takes the caller's
 * Float32Array memory for every input and for pre-allocated outputs, with nothing copied.
 *
 * onnxruntime-node (1.30) copies every fetched output into a fresh ArrayBuffer, pre-allocated ones
 * included, and defers each session.run() by an event-loop turn (setImmediate); for the ort engine's
 * training step (2.6 MB of gradients per step) that cost ~1 ms of a ~3.5 ms run. This module loads the
 * libonnxruntime that onnxruntime-node ships (one onnxruntime in the process) and calls its OrtApi
 * function table synchronously on the calling thread (the engine's worker thread).
 *
 * The OrtApi table only ever grows at its end (onnxruntime's ABI promise), so a function's position
 * never changes; the positions below are those of the functions this file uses. No onnxruntime header
 * is needed: the types are opaque pointers here.
 *
 * It also holds two array kernels of the product that are faster here than in WebAssembly: the ort
 * engine's Adam update and the API's NaN/±Infinity input check.
 *
 * JavaScript side: packages/device-node/src/ort-direct.ts (loading), packages/train's
 * engines/ort/direct-session.ts (training sessions). Built by packages/device-node/scripts/build-native.mjs
 * (any C99 compiler; Node's own headers).
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct OrtStatus OrtStatus;
typedef struct {
  const void *(*GetApi)(uint32_t version);
  const char *(*GetVersionString)(void);
} OrtApiBase;

/* The OrtApi version requested: every function used here exists since version 10 (onnxruntime 1.10). */
#define ORT_API_VERSION_USED 10
enum {
  ORT_LOGGING_LEVEL_ERROR = 3,
  ORT_SEQUENTIAL = 0,
  ORT_PARALLEL = 1,
  ORT_ARENA_ALLOCATOR = 1,
  ORT_MEM_TYPE_DEFAULT = 0,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
  MAX_RANK = 16,
};

static const void *const *api;
static void *ort_env;
static void *cpu_memory;
static char version[64];
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

#define ORT_FN(index, ret, ...) ((ret(*)(__VA_ARGS__))api[index])
#define GetErrorMessage ORT_FN(2, const char *, const OrtStatus *)
#define CreateEnv ORT_FN(3, OrtStatus *, int, const char *, void **)
#define CreateSessionFromArray ORT_FN(8, OrtStatus *, const void *, const void *, size_t, const void *, void **)
#define Run                                                                                                     \
  ORT_FN(9, OrtStatus *, void *, const void *, const char *const *, const void *const *, size_t, const char *const *, \
         size_t, void **)
#define CreateSessionOptions ORT_FN(10, OrtStatus *, void **)
#define SessionGetInputCount ORT_FN(30, OrtStatus *, const void *, size_t *)
#define SessionGetOutputCount ORT_FN(31, OrtStatus *, const void *, size_t *)
#define SessionGetInputTypeInfo ORT_FN(33, OrtStatus *, const void *, size_t, void **)
#define SessionGetOutputTypeInfo ORT_FN(34, OrtStatus *, const void *, size_t, void **)
#define SessionGetInputName ORT_FN(36, OrtStatus *, const void *, size_t, void *, char **)
#define SessionGetOutputName ORT_FN(37, OrtStatus *, const void *, size_t, void *, char **)
#define AllocatorFree ORT_FN(76, OrtStatus *, void *, void *)
#define GetAllocatorWithDefaultOptions ORT_FN(78, OrtStatus *, void **)
#define SetSessionExecutionMode ORT_FN(13, OrtStatus *, void *, int)
#define DisableMemPattern ORT_FN(17, OrtStatus *, void *)
#define SetSessionLogSeverityLevel ORT_FN(22, OrtStatus *, void *, int)
#define SetSessionGraphOptimizationLevel ORT_FN(23, OrtStatus *, void *, int)
#define SetIntraOpNumThreads ORT_FN(24, OrtStatus *, void *, int)
#define SetInterOpNumThreads ORT_FN(25, OrtStatus *, void *, int)
#define CreateTensorWithDataAsOrtValue \
  ORT_FN(49, OrtStatus *, const void *, void *, size_t, const int64_t *, size_t, int, void **)
#define GetTensorMutableData ORT_FN(51, OrtStatus *, void *, void **)
#define CastTypeInfoToTensorInfo ORT_FN(55, OrtStatus *, const void *, const void **)
#define GetTensorElementType ORT_FN(60, OrtStatus *, const void *, int *)
#define GetDimensionsCount ORT_FN(61, OrtStatus *, const void *, size_t *)
#define GetDimensions ORT_FN(62, OrtStatus *, const void *, int64_t *, size_t)
#define GetSymbolicDimensions ORT_FN(63, OrtStatus *, const void *, const char **, size_t)
#define GetTensorShapeElementCount ORT_FN(64, OrtStatus *, const void *, size_t *)
#define GetTensorTypeAndShape ORT_FN(65, OrtStatus *, const void *, void **)
#define CreateCpuMemoryInfo ORT_FN(69, OrtStatus *, int, int, void **)
#define ReleaseStatus ORT_FN(93, void, OrtStatus *)
#define ReleaseSession ORT_FN(95, void, void *)
#define ReleaseValue ORT_FN(96, void, void *)
#define ReleaseTypeInfo ORT_FN(98, void, void *)
#define ReleaseTensorTypeAndShapeInfo ORT_FN(99, void, void *)
#define ReleaseSessionOptions ORT_FN(100, void, void *)
#define AddSessionConfigEntry ORT_FN(130, OrtStatus *, void *, const char *, const char *)

/* Throws `status`'s message (prefixed with `what`) as a JavaScript Error and frees it; returns 1 if it did. */
static int failed(napi_env env, OrtStatus *status, const char *what) {
  if (!status) return 0;
  char message[1024];
  snprintf(message, sizeof message, "onnxruntime %s: %s", what, GetErrorMessage(status));
  ReleaseStatus(status);
  napi_throw_error(env, NULL, message);
  return 1;
}

static int fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return 1;
}

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

/* A JavaScript string argument into a fresh heap buffer (NULL and an exception on failure). */
static char *string_arg(napi_env env, napi_value value, const char *what) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    char message[256];
    snprintf(message, sizeof message, "%s: expected a string", what);
    fail(env, message);
    return NULL;
  }
  char *s = malloc(length + 1);
  if (s) napi_get_value_string_utf8(env, value, s, length + 1, &length);
  return s;
}

/* load(libraryPath) → onnxruntime's version string. Loads the library once per process. */
static napi_value load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = argc == 1 ? string_arg(env, argv[0], "load(libraryPath)") : NULL;
  if (!path) return argc == 1 ? NULL : (fail(env, "load: expected the path of libonnxruntime"), NULL);
  pthread_mutex_lock(&load_lock);
  const char *error = NULL;
  char detail[512] = "";
  if (!api) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const OrtApiBase *(*get_base)(void) = library ? (const OrtApiBase *(*)(void))dlsym(library, "OrtGetApiBase") : NULL;
    const OrtApiBase *base = get_base ? get_base() : NULL;
    const void *table = base ? base->GetApi(ORT_API_VERSION_USED) : NULL;
    if (!library) snprintf(detail, sizeof detail, "dlopen: %s", dlerror()), error = detail;
    else if (!get_base) error = "the library has no OrtGetApiBase";
    else if (!table) error = "the library does not provide OrtApi version 10";
    else {
      api = (const void *const *)table;
      snprintf(version, sizeof version, "%s", base->GetVersionString());
      OrtStatus *s = CreateEnv(ORT_LOGGING_LEVEL_ERROR, "vae-ort-direct", &ort_env);
      if (!s) s = CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &cpu_memory);
      if (s) {
        snprintf(detail, sizeof detail, "environment: %s", GetErrorMessage(s));
        ReleaseStatus(s);
        api = NULL;
        error = detail;
      }
    }
  }
  pthread_mutex_unlock(&load_lock);
  free(path);
  if (error) return fail(env, error), NULL;
  napi_value result;
  napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &result);
  return result;
}

typedef struct {
  void *session;
} Session;

/* argv[0] of a call as an open session (NULL and an exception if it is none, or released). */
static Session *session_arg(napi_env env, size_t argc, napi_value *argv, const char *usage) {
  Session *session = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&session) != napi_ok) {
    fail(env, usage);
    return NULL;
  }
  if (!session->session) {
    fail(env, "the session was released");
    return NULL;
  }
  return session;
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Session *s = data;
  if (s->session) ReleaseSession(s->session);
  free(s);
}

static int int_property(napi_env env, napi_value object, const char *name, int32_t *out) {
  napi_value v;
  if (napi_get_named_property(env, object, name, &v) != napi_ok || napi_get_value_int32(env, v, out) != napi_ok) {
    char message[256];
    snprintf(message, sizeof message, "createSession: options.%s: expected an integer", name);
    return fail(env, message);
  }
  return 0;
}

/* Applies options.config ([[key, value], …]) as session configuration entries. */
static int config_entries(napi_env env, napi_value options, void *session_options) {
  napi_value entries;
  uint32_t count = 0;
  if (napi_get_named_property(env, options, "config", &entries) != napi_ok ||
      napi_get_array_length(env, entries, &count) != napi_ok)
    return fail(env, "createSession: options.config: expected an array of [key, value] pairs");
  for (uint32_t i = 0; i < count; i++) {
    napi_value pair, k, v;
    napi_get_element(env, entries, i, &pair);
    napi_get_element(env, pair, 0, &k);
    napi_get_element(env, pair, 1, &v);
    char *key = string_arg(env, k, "createSession: options.config key");
    char *value = key ? string_arg(env, v, "createSession: options.config value") : NULL;
    OrtStatus *s = value ? AddSessionConfigEntry(session_options, key, value) : NULL;
    free(key);
    free(value);
    if (!value || failed(env, s, "session configuration")) return 1;
  }
  return 0;
}

/*
 * createSession(model: Uint8Array, options: { intraOpThreads, interOpThreads, parallel (0|1),
 * memPattern (0|1), optimizationLevel, logSeverity, config: [key, value][] }) → session handle (external).
 */
static napi_value create_session(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!api) return fail(env, "createSession: call load() first"), NULL;
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  if (argc != 2 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array)
    return fail(env, "createSession: model: expected a Uint8Array"), NULL;
  int32_t intra, inter, parallel, pattern, level, severity;
  if (int_property(env, argv[1], "intraOpThreads", &intra) || int_property(env, argv[1], "interOpThreads", &inter) ||
      int_property(env, argv[1], "parallel", &parallel) || int_property(env, argv[1], "memPattern", &pattern) ||
      int_property(env, argv[1], "optimizationLevel", &level) || int_property(env, argv[1], "logSeverity", &severity))
    return NULL;
  void *options = NULL;
  if (failed(env, CreateSessionOptions(&options), "session options")) return NULL;
  OrtStatus *s = SetSessionExecutionMode(options, parallel ? ORT_PARALLEL : ORT_SEQUENTIAL);
  if (!s) s = SetSessionLogSeverityLevel(options, severity);
  if (!s) s = SetSessionGraphOptimizationLevel(options, level);
  if (!s) s = SetIntraOpNumThreads(options, intra);
  if (!s) s = SetInterOpNumThreads(options, inter);
  if (!s && !pattern) s = DisableMemPattern(options);
  if (failed(env, s, "session options") || config_entries(env, argv[1], options)) {
    ReleaseSessionOptions(options);
    return NULL;
  }
  Session *session = calloc(1, sizeof *session);
  s = session ? CreateSessionFromArray(ort_env, data, length, options, &session->session) : NULL;
  ReleaseSessionOptions(options);
  if (!session) return fail(env, "createSession: out of memory"), NULL;
  if (failed(env, s, "session")) {
    free(session);
    return NULL;
  }
  napi_value result;
  napi_create_external(env, session, finalize_session, NULL, &result);
  return result;
}

/* release(session): frees the session now (later calls on it throw). */
static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Session *session = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || napi_get_value_external(env, argv[0], (void **)&session) != napi_ok)
    return fail(env, "release: expected a session"), NULL;
  if (session->session) ReleaseSession(session->session);
  session->session = NULL;
  return undefined(env);
}

/* onnxruntime's element type as onnxruntime-common names it ("unknown" past these). */
static const char *element_type_name(int type) {
  static const char *const names[] = {"unknown", "float32", "uint8",  "int8",    "uint16",  "int16",  "int32",
                                      "int64",   "string",  "bool",   "float16", "float64", "uint32", "uint64"};
  return type >= 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "unknown";
}

/* `info`'s shape as JavaScript: a dimension's symbolic name where it has one, else its size (-1: unknown). */
static napi_value shape_of(napi_env env, const void *info) {
  size_t rank = 0;
  int64_t dims[MAX_RANK];
  const char *symbols[MAX_RANK];
  OrtStatus *s = GetDimensionsCount(info, &rank);
  if (!s && rank > MAX_RANK) return fail(env, "signature: rank above 16"), NULL;
  if (!s) s = GetDimensions(info, dims, rank);
  if (!s) s = GetSymbolicDimensions(info, symbols, rank);
  if (failed(env, s, "signature")) return NULL;
  napi_value shape;
  napi_create_array_with_length(env, rank, &shape);
  for (size_t k = 0; k < rank; k++) {
    napi_value d;
    if (symbols[k] && symbols[k][0]) napi_create_string_utf8(env, symbols[k], NAPI_AUTO_LENGTH, &d);
    else napi_create_int64(env, dims[k], &d);
    napi_set_element(env, shape, (uint32_t)k, d);
  }
  return shape;
}

/* One input or output as onnxruntime-node's metadata: { name, isTensor, type?, shape? }. */
static napi_value value_info(napi_env env, const void *session, size_t i, int output, void *allocator) {
  char *name = NULL;
  void *type_info = NULL;
  OrtStatus *s = output ? SessionGetOutputName(session, i, allocator, &name)
                        : SessionGetInputName(session, i, allocator, &name);
  if (!s) s = output ? SessionGetOutputTypeInfo(session, i, &type_info) : SessionGetInputTypeInfo(session, i, &type_info);
  const void *tensor = NULL;
  if (!s) s = CastTypeInfoToTensorInfo(type_info, &tensor);
  int element = 0;
  if (!s && tensor) s = GetTensorElementType(tensor, &element);
  napi_value item = NULL, v;
  if (!failed(env, s, "signature")) {
    napi_create_object(env, &item);
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, item, "name", v);
    napi_get_boolean(env, tensor != NULL, &v);
    napi_set_named_property(env, item, "isTensor", v);
    if (tensor) {
      napi_create_string_utf8(env, element_type_name(element), NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, item, "type", v);
      napi_value shape = shape_of(env, tensor);
      if (shape) napi_set_named_property(env, item, "shape", shape);
      else item = NULL;
    }
  }
  if (type_info) ReleaseTypeInfo(type_info);
  if (name) {
    OrtStatus *freed = AllocatorFree(allocator, name);
    if (freed) ReleaseStatus(freed);
  }
  return item;
}

/* signature(session) → { inputs, outputs }: each a list of { name, isTensor, type, shape }, in order. */
static napi_value signature(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Session *session = session_arg(env, argc, argv, "signature: expected a session");
  if (!session) return NULL;
  void *allocator = NULL;
  if (failed(env, GetAllocatorWithDefaultOptions(&allocator), "allocator")) return NULL;
  napi_value result;
  napi_create_object(env, &result);
  for (int output = 0; output < 2; output++) {
    size_t count = 0;
    OrtStatus *s = output ? SessionGetOutputCount(session->session, &count)
                          : SessionGetInputCount(session->session, &count);
    if (failed(env, s, "signature")) return NULL;
    napi_value list;
    napi_create_array_with_length(env, count, &list);
    for (size_t i = 0; i < count; i++) {
      napi_value item = value_info(env, session->session, i, output, allocator);
      if (!item) return NULL;
      napi_set_element(env, list, (uint32_t)i, item);
    }
    napi_set_named_property(env, result, output ? "outputs" : "inputs", list);
  }
  return result;
}

/* `value` as a Float32Array's data and length (1 and an exception naming `what` if it is none). */
static int float32_array(napi_env env, napi_value value, float **data, size_t *length, const char *what) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, (void **)data, &buffer, &offset) != napi_ok ||
      type != napi_float32_array) {
    char message[640];
    snprintf(message, sizeof message, "%s: expected a Float32Array", what);
    return fail(env, message);
  }
  return 0;
}

/* One tensor argument: a Float32Array and its shape (an array of integers whose product is its length). */
static int tensor_arg(napi_env env, napi_value array, napi_value shape, const char *name, void **value) {
  char message[512];
  size_t length;
  float *data;
  snprintf(message, sizeof message, "run: %s", name);
  if (float32_array(env, array, &data, &length, message)) return 1;
  uint32_t rank = 0;
  int64_t dims[MAX_RANK];
  if (napi_get_array_length(env, shape, &rank) != napi_ok || rank > MAX_RANK) {
    snprintf(message, sizeof message, "run: %s: expected a shape of at most %d dimensions", name, MAX_RANK);
    return fail(env, message);
  }
  int64_t count = 1;
  for (uint32_t k = 0; k < rank; k++) {
    napi_value d;
    napi_get_element(env, shape, k, &d);
    if (napi_get_value_int64(env, d, &dims[k]) != napi_ok || dims[k] < 0) {
      snprintf(message, sizeof message, "run: %s: expected dimensions ≥ 0", name);
      return fail(env, message);
    }
    count *= dims[k];
  }
  if ((size_t)count != length) {
    snprintf(message, sizeof message, "run: %s: expected %lld elements for its shape, got %zu", name, (long long)count,
             length);
    return fail(env, message);
  }
  return failed(env, CreateTensorWithDataAsOrtValue(cpu_memory, data, length * sizeof(float), dims, rank,
                                                   ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, value),
                name);
}

/* An output onnxruntime allocated, as [Float32Array copy, dims]. */
static napi_value fetched_output(napi_env env, void *value, const char *name) {
  void *info = NULL;
  int type = 0;
  size_t rank = 0, count = 0;
  int64_t dims[MAX_RANK];
  OrtStatus *s = GetTensorTypeAndShape(value, &info);
  if (!s) s = GetTensorElementType(info, &type);
  if (!s) s = GetDimensionsCount(info, &rank);
  if (!s && rank <= MAX_RANK) s = GetDimensions(info, dims, rank);
  if (!s) s = GetTensorShapeElementCount(info, &count);
  if (info) ReleaseTensorTypeAndShapeInfo(info);
  if (failed(env, s, name)) return NULL;
  char message[512];
  if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || rank > MAX_RANK) {
    snprintf(message, sizeof message, "run: output %s: expected a float32 tensor of rank ≤ %d", name, MAX_RANK);
    return fail(env, message), NULL;
  }
  void *source;
  if (failed(env, GetTensorMutableData(value, &source), name)) return NULL;
  void *target;
  napi_value buffer, array, shape, pair;
  napi_create_arraybuffer(env, count * sizeof(float), &target, &buffer);
  if (count) memcpy(target, source, count * sizeof(float));
  napi_create_typedarray(env, napi_float32_array, count, buffer, 0, &array);
  napi_create_array_with_length(env, rank, &shape);
  for (size_t k = 0; k < rank; k++) {
    napi_value d;
    napi_create_int64(env, dims[k], &d);
    napi_set_element(env, shape, (uint32_t)k, d);
  }
  napi_create_array_with_length(env, 2, &pair);
  napi_set_element(env, pair, 0, array);
  napi_set_element(env, pair, 1, shape);
  return pair;
}

typedef struct {
  uint32_t inputs, outputs;
  char **names; /* inputs then outputs */
  void **values; /* inputs then outputs */
} RunArgs;

static void free_run_args(RunArgs *a) {
  for (uint32_t i = 0; i < a->inputs + a->outputs; i++) {
    if (a->names) free(a->names[i]);
    if (a->values && a->values[i]) ReleaseValue(a->values[i]);
  }
  free(a->names);
  free(a->values);
}

/* Reads names[i], arrays[i], shapes[i] of one side into a (arrays[i] null: an output onnxruntime allocates). */
static int side_args(napi_env env, napi_value names, napi_value arrays, napi_value shapes, uint32_t from, uint32_t n,
                     int outputs, RunArgs *a) {
  for (uint32_t i = 0; i < n; i++) {
    napi_value name, array, shape;
    napi_valuetype kind;
    napi_get_element(env, names, i, &name);
    a->names[from + i] = string_arg(env, name, outputs ? "run: output name" : "run: input name");
    if (!a->names[from + i]) return 1;
    napi_get_element(env, arrays, i, &array);
    napi_typeof(env, array, &kind);
    if (outputs && kind == napi_null) continue;
    napi_get_element(env, shapes, i, &shape);
    if (tensor_arg(env, array, shape, a->names[from + i], &a->values[from + i])) return 1;
  }
  return 0;
}

/*
 * run(session, inputNames, inputs, inputShapes, outputNames, outputs, outputShapes) → for every
 * output, null when it was given (onnxruntime wrote into that Float32Array) or [Float32Array, dims]
 * when outputs[i] was null.
 */
static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Session *session = session_arg(
      env, argc == 7 ? argc : 0, argv,
      "run: expected (session, inputNames, inputs, inputShapes, outputNames, outputs, outputShapes)");
  if (!session) return NULL;
  RunArgs a = {0};
  if (napi_get_array_length(env, argv[1], &a.inputs) != napi_ok ||
      napi_get_array_length(env, argv[4], &a.outputs) != napi_ok)
    return fail(env, "run: inputNames, outputNames: expected arrays"), NULL;
  uint32_t total = a.inputs + a.outputs;
  a.names = calloc(total ? total : 1, sizeof *a.names);
  a.values = calloc(total ? total : 1, sizeof *a.values);
  napi_value result = NULL;
  if (!a.names || !a.values) fail(env, "run: out of memory");
  else if (!side_args(env, argv[1], argv[2], argv[3], 0, a.inputs, 0, &a) &&
           !side_args(env, argv[4], argv[5], argv[6], a.inputs, a.outputs, 1, &a)) {
    char *given = calloc(a.outputs ? a.outputs : 1, 1);
    for (uint32_t i = 0; given && i < a.outputs; i++) given[i] = a.values[a.inputs + i] != NULL;
    OrtStatus *s = given ? Run(session->session, NULL, (const char *const *)a.names, (const void *const *)a.values,
                               a.inputs, (const char *const *)a.names + a.inputs, a.outputs, a.values + a.inputs)
                         : NULL;
    if (!given) fail(env, "run: out of memory");
    else if (!failed(env, s, "run")) {
      napi_create_array_with_length(env, a.outputs, &result);
      for (uint32_t i = 0; result && i < a.outputs; i++) {
        napi_value item;
        if (given[i]) napi_get_null(env, &item);
        else if (!(item = fetched_output(env, a.values[a.inputs + i], a.names[a.inputs + i]))) result = NULL;
        if (result) napi_set_element(env, result, i, item);
      }
    }
    free(given);
  }
  free_run_args(&a);
  return result;
}

/*
 * The ort engine's Adam update over four equally long float32 arrays (AdamArena's kernel, the same
 * float32 operations in the same order, so bit-identical to its WebAssembly and JavaScript forms):
 * m' = b1*m + g, v' = b2*v + g*g, p' = p - m'/(sqrt(v')*k1 + k2). Compiled without FMA contraction
 * (-ffp-contract=off) and, on x86-64 Linux, in AVX-512, AVX2 and baseline versions chosen at load.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void adam_kernel(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                        float b1, float b2, float k1, float k2) {
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi;
    float vi = v[i] * b2 + gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - mi / (sqrtf(vi) * k1 + k2);
  }
}

/*
 * 1 if any of x[0..n) is NaN or ±Infinity (an all-ones exponent), else 0: the API's input check
 * (core's hasNonFinite). Pieces of 1,024 values OR their exponent tests without branches, so the loop
 * vectorises (AVX-512/AVX2 clones); a piece with a hit ends the scan.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static int non_finite_kernel(const float *x, size_t n) {
  const uint32_t exponent = 0x7f800000u;
  for (size_t start = 0; start < n; start += 1024) {
    size_t end = n - start < 1024 ? n : start + 1024;
    uint32_t hit = 0;
    for (size_t i = start; i < end; i++) {
      uint32_t bits;
      memcpy(&bits, &x[i], sizeof bits);
      hit |= (bits & exponent) == exponent;
    }
    if (hit) return 1;
  }
  return 0;
}

/* nonFinite(x: Float32Array) → whether x holds a NaN or ±Infinity. */
static napi_value non_finite(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  float *x;
  size_t n;
  if (argc != 1 || float32_array(env, argv[0], &x, &n, "nonFinite: x")) return argc == 1 ? NULL : (fail(env, "nonFinite: expected (x)"), NULL);
  napi_value result;
  napi_get_boolean(env, non_finite_kernel(x, n), &result);
  return result;
}

/* adam(p, g, m, v, b1, b2, k1, k2): one update in place (arrays of one length). */
static napi_value adam(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 8) return fail(env, "adam: expected (p, g, m, v, b1, b2, k1, k2)"), NULL;
  float *arrays[4];
  size_t lengths[4];
  const char *names[4] = {"adam: p", "adam: g", "adam: m", "adam: v"};
  for (int i = 0; i < 4; i++)
    if (float32_array(env, argv[i], &arrays[i], &lengths[i], names[i])) return NULL;
  if (lengths[1] != lengths[0] || lengths[2] != lengths[0] || lengths[3] != lengths[0])
    return fail(env, "adam: p, g, m, v: expected arrays of one length"), NULL;
  double k[4];
  for (int i = 0; i < 4; i++)
    if (napi_get_value_double(env, argv[4 + i], &k[i]) != napi_ok)
      return fail(env, "adam: b1, b2, k1, k2: expected numbers"), NULL;
  adam_kernel(arrays[0], arrays[1], arrays[2], arrays[3], lengths[0], (float)k[0], (float)k[1], (float)k[2],
              (float)k[3]);
  return undefined(env);
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor methods[] = {
      {"load", NULL, load, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createSession", NULL, create_session, NULL, NULL, NULL, napi_enumerable, NULL},
      {"run", NULL, run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signature", NULL, signature, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nonFinite", NULL, non_finite, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}
