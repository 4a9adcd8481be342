// The scanner's tables: the globals trusted by default, reasoned per group in
// docs/security.md ("The allow-list"), and the globals known to be dangerous, with
// the harm each does. See [NOTE scan-verdicts] in allow_list.cpp.
#include "tools/scan/names.hpp"

#include <algorithm>
#include <vector>

namespace pickle::detail::scan {

std::string_view group_reason(Group g) noexcept {
  switch (g) {
    case Group::builtin:
      return "a builtin data type, or a reconstructor that makes one without running code";
    case Group::stdlib: return "a standard library data type whose construction runs no code";
    case Group::enum_class: return "a standard library enum: a lookup of a member";
    case Group::numpy: return "numpy's reconstruction of its own arrays, dtypes and scalars";
    case Group::pandas: return "pandas' reconstruction of its own frames, indexes and arrays";
    case Group::sklearn:
      return "a scikit-learn estimator or its data: built without __init__, state set by "
             "__setstate__";
    case Group::scipy: return "SciPy's reconstruction of its own sparse matrices";
    case Group::joblib:
      return "joblib's wrapper of a numpy array whose data follows the pickle as raw bytes";
    case Group::timezone: return "a time zone looked up by name in its library's own database";
    case Group::torch: return "PyTorch's reconstruction of its own tensors and storages";
  }
  return {};
}

namespace {

using G = Group;

// clang-format off
// [NOTE allow-list-table] Every name here is reasoned in docs/security.md, in its group;
// tests/unit/scan_test.cpp checks that the page lists exactly these names. A name is
// trusted only as module and qualified name exactly (after fix_imports): another name
// of a trusted module, or a method of a trusted class, is not.
constexpr Trusted kTrusted[] = {
  // Builtin data types and their reconstructors: what --strict keeps.
  {"_codecs", "encode", G::builtin},
  {"builtins", "Ellipsis", G::builtin},
  {"builtins", "NotImplemented", G::builtin},
  {"builtins", "bool", G::builtin},
  {"builtins", "bytearray", G::builtin},
  {"builtins", "bytes", G::builtin},
  {"builtins", "complex", G::builtin},
  {"builtins", "dict", G::builtin},
  {"builtins", "float", G::builtin},
  {"builtins", "frozenset", G::builtin},
  {"builtins", "int", G::builtin},
  {"builtins", "list", G::builtin},
  {"builtins", "object", G::builtin},
  {"builtins", "range", G::builtin},
  {"builtins", "set", G::builtin},
  {"builtins", "slice", G::builtin},
  {"builtins", "str", G::builtin},
  {"builtins", "tuple", G::builtin},
  {"collections", "OrderedDict", G::builtin},
  {"copyreg", "__newobj__", G::builtin},
  {"copyreg", "__newobj_ex__", G::builtin},
  {"copyreg", "_reconstructor", G::builtin},

  // The standard library's plain data types.
  {"array", "_array_reconstructor", G::stdlib},
  {"array", "array", G::stdlib},
  {"builtins", "ArithmeticError", G::stdlib},
  {"builtins", "AssertionError", G::stdlib},
  {"builtins", "AttributeError", G::stdlib},
  {"builtins", "Exception", G::stdlib},
  {"builtins", "IndexError", G::stdlib},
  {"builtins", "KeyError", G::stdlib},
  {"builtins", "LookupError", G::stdlib},
  {"builtins", "NotImplementedError", G::stdlib},
  {"builtins", "OverflowError", G::stdlib},
  {"builtins", "RuntimeError", G::stdlib},
  {"builtins", "StopIteration", G::stdlib},
  {"builtins", "TypeError", G::stdlib},
  {"builtins", "ValueError", G::stdlib},
  {"builtins", "ZeroDivisionError", G::stdlib},
  {"collections", "ChainMap", G::stdlib},
  {"collections", "Counter", G::stdlib},
  {"collections", "UserDict", G::stdlib},
  {"collections", "UserList", G::stdlib},
  {"collections", "UserString", G::stdlib},
  {"collections", "defaultdict", G::stdlib},
  {"collections", "deque", G::stdlib},
  {"datetime", "date", G::stdlib},
  {"datetime", "datetime", G::stdlib},
  {"datetime", "time", G::stdlib},
  {"datetime", "timedelta", G::stdlib},
  {"datetime", "timezone", G::stdlib},
  {"decimal", "Decimal", G::stdlib},
  {"fractions", "Fraction", G::stdlib},
  {"ipaddress", "IPv4Address", G::stdlib},
  {"ipaddress", "IPv4Interface", G::stdlib},
  {"ipaddress", "IPv4Network", G::stdlib},
  {"ipaddress", "IPv6Address", G::stdlib},
  {"ipaddress", "IPv6Interface", G::stdlib},
  {"ipaddress", "IPv6Network", G::stdlib},
  {"pathlib", "Path", G::stdlib},
  {"pathlib", "PosixPath", G::stdlib},
  {"pathlib", "PurePath", G::stdlib},
  {"pathlib", "PurePosixPath", G::stdlib},
  {"pathlib", "PureWindowsPath", G::stdlib},
  {"pathlib", "WindowsPath", G::stdlib},
  {"pathlib._local", "Path", G::stdlib},
  {"pathlib._local", "PosixPath", G::stdlib},
  {"pathlib._local", "PurePath", G::stdlib},
  {"pathlib._local", "PurePosixPath", G::stdlib},
  {"pathlib._local", "PureWindowsPath", G::stdlib},
  {"pathlib._local", "WindowsPath", G::stdlib},
  {"re", "_compile", G::stdlib},
  {"time", "struct_time", G::stdlib},
  {"types", "SimpleNamespace", G::stdlib},
  {"uuid", "UUID", G::stdlib},

  // Standard library enums: the class (called with a value) and its members by name.
  {"http", "HTTPStatus", G::enum_class},
  {"re", "RegexFlag", G::enum_class},
  {"signal", "Signals", G::enum_class},
  {"socket", "AddressFamily", G::enum_class},
  {"socket", "SocketKind", G::enum_class},
  {"uuid", "SafeUUID", G::enum_class},

  // Members that the enums' modules also hold as globals (Python 3.6-3.10 pickle
  // signal.SIGINT by that name; re's flags are module globals).
  {"re", "A", G::enum_class},
  {"re", "ASCII", G::enum_class},
  {"re", "DEBUG", G::enum_class},
  {"re", "DOTALL", G::enum_class},
  {"re", "I", G::enum_class},
  {"re", "IGNORECASE", G::enum_class},
  {"re", "L", G::enum_class},
  {"re", "LOCALE", G::enum_class},
  {"re", "M", G::enum_class},
  {"re", "MULTILINE", G::enum_class},
  {"re", "NOFLAG", G::enum_class},
  {"re", "S", G::enum_class},
  {"re", "T", G::enum_class},
  {"re", "TEMPLATE", G::enum_class},
  {"re", "U", G::enum_class},
  {"re", "UNICODE", G::enum_class},
  {"re", "VERBOSE", G::enum_class},
  {"re", "X", G::enum_class},
  {"signal", "SIGABRT", G::enum_class},
  {"signal", "SIGALRM", G::enum_class},
  {"signal", "SIGBUS", G::enum_class},
  {"signal", "SIGCHLD", G::enum_class},
  {"signal", "SIGCONT", G::enum_class},
  {"signal", "SIGFPE", G::enum_class},
  {"signal", "SIGHUP", G::enum_class},
  {"signal", "SIGILL", G::enum_class},
  {"signal", "SIGINT", G::enum_class},
  {"signal", "SIGIO", G::enum_class},
  {"signal", "SIGKILL", G::enum_class},
  {"signal", "SIGPIPE", G::enum_class},
  {"signal", "SIGPROF", G::enum_class},
  {"signal", "SIGQUIT", G::enum_class},
  {"signal", "SIGSEGV", G::enum_class},
  {"signal", "SIGSTOP", G::enum_class},
  {"signal", "SIGSYS", G::enum_class},
  {"signal", "SIGTERM", G::enum_class},
  {"signal", "SIGTRAP", G::enum_class},
  {"signal", "SIGTSTP", G::enum_class},
  {"signal", "SIGTTIN", G::enum_class},
  {"signal", "SIGTTOU", G::enum_class},
  {"signal", "SIGURG", G::enum_class},
  {"signal", "SIGUSR1", G::enum_class},
  {"signal", "SIGUSR2", G::enum_class},
  {"signal", "SIGVTALRM", G::enum_class},
  {"signal", "SIGWINCH", G::enum_class},
  {"signal", "SIGXCPU", G::enum_class},
  {"signal", "SIGXFSZ", G::enum_class},
  {"signal", "SIG_DFL", G::enum_class},
  {"signal", "SIG_IGN", G::enum_class},

  // numpy 1.x and 2.x (numpy.core became numpy._core).
  {"numpy", "dtype", G::numpy},
  {"numpy", "ndarray", G::numpy},
  {"numpy._core.multiarray", "_reconstruct", G::numpy},
  {"numpy._core.multiarray", "scalar", G::numpy},
  {"numpy._core.numeric", "_frombuffer", G::numpy},
  {"numpy.core.multiarray", "_reconstruct", G::numpy},
  {"numpy.core.multiarray", "scalar", G::numpy},
  {"numpy.core.numeric", "_frombuffer", G::numpy},
  {"numpy.ma.core", "MaskedArray", G::numpy},
  {"numpy.ma.core", "_mareconstruct", G::numpy},
  {"numpy.matrixlib.defmatrix", "matrix", G::numpy},
  {"numpy.random._pickle", "__bit_generator_ctor", G::numpy},
  {"numpy.random._pickle", "__generator_ctor", G::numpy},
  {"numpy.random._pickle", "__randomstate_ctor", G::numpy},

  // numpy's scalar and array types (what a dtype argument or an attribute names).
  {"numpy", "bool_", G::numpy},
  {"numpy", "int8", G::numpy},
  {"numpy", "int16", G::numpy},
  {"numpy", "int32", G::numpy},
  {"numpy", "int64", G::numpy},
  {"numpy", "uint8", G::numpy},
  {"numpy", "uint16", G::numpy},
  {"numpy", "uint32", G::numpy},
  {"numpy", "uint64", G::numpy},
  {"numpy", "float16", G::numpy},
  {"numpy", "float32", G::numpy},
  {"numpy", "float64", G::numpy},
  {"numpy", "longdouble", G::numpy},
  {"numpy", "complex64", G::numpy},
  {"numpy", "complex128", G::numpy},
  {"numpy", "clongdouble", G::numpy},
  {"numpy", "str_", G::numpy},
  {"numpy", "bytes_", G::numpy},
  {"numpy", "void", G::numpy},
  {"numpy", "object_", G::numpy},
  {"numpy", "datetime64", G::numpy},
  {"numpy", "timedelta64", G::numpy},
  {"numpy", "matrix", G::numpy},
  {"numpy", "recarray", G::numpy},
  {"numpy", "record", G::numpy},
  {"numpy", "intc", G::numpy},
  {"numpy", "uintc", G::numpy},
  {"numpy", "longlong", G::numpy},
  {"numpy", "ulonglong", G::numpy},

  // pandas 1.x and 2.x.
  {"pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", G::pandas},
  {"pandas._libs.internals", "_unpickle_block", G::pandas},
  {"pandas._libs.interval", "Interval", G::pandas},
  {"pandas._libs.interval", "__pyx_unpickle_IntervalMixin", G::pandas},
  {"pandas._libs.missing", "NA", G::pandas},
  {"pandas._libs.sparse", "BlockIndex", G::pandas},
  {"pandas._libs.sparse", "IntIndex", G::pandas},
  {"pandas._libs.tslibs.nattype", "__nat_unpickle", G::pandas},
  {"pandas._libs.tslibs.offsets", "BDay", G::pandas},
  {"pandas._libs.tslibs.offsets", "BMonthBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "BMonthEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "BQuarterBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "BQuarterEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "BYearBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "BYearEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "BusinessDay", G::pandas},
  {"pandas._libs.tslibs.offsets", "BusinessHour", G::pandas},
  {"pandas._libs.tslibs.offsets", "BusinessMonthBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "BusinessMonthEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "CustomBusinessDay", G::pandas},
  {"pandas._libs.tslibs.offsets", "Day", G::pandas},
  {"pandas._libs.tslibs.offsets", "DateOffset", G::pandas},
  {"pandas._libs.tslibs.offsets", "Easter", G::pandas},
  {"pandas._libs.tslibs.offsets", "Hour", G::pandas},
  {"pandas._libs.tslibs.offsets", "Micro", G::pandas},
  {"pandas._libs.tslibs.offsets", "Milli", G::pandas},
  {"pandas._libs.tslibs.offsets", "Minute", G::pandas},
  {"pandas._libs.tslibs.offsets", "MonthBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "MonthEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "Nano", G::pandas},
  {"pandas._libs.tslibs.offsets", "QuarterBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "QuarterEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "Second", G::pandas},
  {"pandas._libs.tslibs.offsets", "SemiMonthBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "SemiMonthEnd", G::pandas},
  {"pandas._libs.tslibs.offsets", "Tick", G::pandas},
  {"pandas._libs.tslibs.offsets", "Week", G::pandas},
  {"pandas._libs.tslibs.offsets", "WeekOfMonth", G::pandas},
  {"pandas._libs.tslibs.offsets", "YearBegin", G::pandas},
  {"pandas._libs.tslibs.offsets", "YearEnd", G::pandas},
  {"pandas._libs.tslibs.period", "Period", G::pandas},
  {"pandas._libs.tslibs.timedeltas", "Timedelta", G::pandas},
  {"pandas._libs.tslibs.timedeltas", "_timedelta_unpickle", G::pandas},
  {"pandas._libs.tslibs.timestamps", "Timestamp", G::pandas},
  {"pandas._libs.tslibs.timestamps", "_unpickle_timestamp", G::pandas},
  {"pandas.core.arrays.boolean", "BooleanArray", G::pandas},
  {"pandas.core.arrays.boolean", "BooleanDtype", G::pandas},
  {"pandas.core.arrays.categorical", "Categorical", G::pandas},
  {"pandas.core.arrays.datetimes", "DatetimeArray", G::pandas},
  {"pandas.core.arrays.floating", "Float32Dtype", G::pandas},
  {"pandas.core.arrays.floating", "Float64Dtype", G::pandas},
  {"pandas.core.arrays.floating", "FloatingArray", G::pandas},
  {"pandas.core.arrays.integer", "Int8Dtype", G::pandas},
  {"pandas.core.arrays.integer", "Int16Dtype", G::pandas},
  {"pandas.core.arrays.integer", "Int32Dtype", G::pandas},
  {"pandas.core.arrays.integer", "Int64Dtype", G::pandas},
  {"pandas.core.arrays.integer", "IntegerArray", G::pandas},
  {"pandas.core.arrays.integer", "UInt8Dtype", G::pandas},
  {"pandas.core.arrays.integer", "UInt16Dtype", G::pandas},
  {"pandas.core.arrays.integer", "UInt32Dtype", G::pandas},
  {"pandas.core.arrays.integer", "UInt64Dtype", G::pandas},
  {"pandas.core.arrays.interval", "IntervalArray", G::pandas},
  {"pandas.core.arrays.numpy_", "PandasArray", G::pandas},
  {"pandas.core.arrays.numpy_", "NumpyExtensionArray", G::pandas},
  {"pandas.core.arrays.period", "PeriodArray", G::pandas},
  {"pandas.core.arrays.sparse.array", "SparseArray", G::pandas},
  {"pandas.core.arrays.sparse.dtype", "SparseDtype", G::pandas},
  {"pandas.core.arrays.string_", "StringArray", G::pandas},
  {"pandas.core.arrays.string_", "StringDtype", G::pandas},
  {"pandas.core.arrays.timedeltas", "TimedeltaArray", G::pandas},
  {"pandas.core.dtypes.dtypes", "CategoricalDtype", G::pandas},
  {"pandas.core.dtypes.dtypes", "DatetimeTZDtype", G::pandas},
  {"pandas.core.dtypes.dtypes", "IntervalDtype", G::pandas},
  {"pandas.core.dtypes.dtypes", "PeriodDtype", G::pandas},
  {"pandas.core.dtypes.dtypes", "SparseDtype", G::pandas},
  {"pandas.core.frame", "DataFrame", G::pandas},
  {"pandas.core.indexes.base", "Index", G::pandas},
  {"pandas.core.indexes.base", "_new_Index", G::pandas},
  {"pandas.core.indexes.category", "CategoricalIndex", G::pandas},
  {"pandas.core.indexes.datetimes", "DatetimeIndex", G::pandas},
  {"pandas.core.indexes.datetimes", "_new_DatetimeIndex", G::pandas},
  {"pandas.core.indexes.interval", "IntervalIndex", G::pandas},
  {"pandas.core.indexes.interval", "_new_IntervalIndex", G::pandas},
  {"pandas.core.indexes.multi", "MultiIndex", G::pandas},
  {"pandas.core.indexes.numeric", "Float64Index", G::pandas},
  {"pandas.core.indexes.numeric", "Int64Index", G::pandas},
  {"pandas.core.indexes.numeric", "NumericIndex", G::pandas},
  {"pandas.core.indexes.numeric", "UInt64Index", G::pandas},
  {"pandas.core.indexes.period", "PeriodIndex", G::pandas},
  {"pandas.core.indexes.period", "_new_PeriodIndex", G::pandas},
  {"pandas.core.indexes.range", "RangeIndex", G::pandas},
  {"pandas.core.indexes.timedeltas", "TimedeltaIndex", G::pandas},
  {"pandas.core.internals.blocks", "new_block", G::pandas},
  {"pandas.core.internals.blocks", "Block", G::pandas},
  {"pandas.core.internals.blocks", "DatetimeTZBlock", G::pandas},
  {"pandas.core.internals.blocks", "ExtensionBlock", G::pandas},
  {"pandas.core.internals.blocks", "NumpyBlock", G::pandas},
  {"pandas.core.internals.blocks", "ObjectBlock", G::pandas},
  {"pandas.core.internals.managers", "BlockManager", G::pandas},
  {"pandas.core.internals.managers", "SingleBlockManager", G::pandas},
  {"pandas.core.series", "Series", G::pandas},

  // scikit-learn estimators and the Cython types they hold.
  {"sklearn.cluster._dbscan", "DBSCAN", G::sklearn},
  {"sklearn.cluster._kmeans", "KMeans", G::sklearn},
  {"sklearn.cluster._kmeans", "MiniBatchKMeans", G::sklearn},
  {"sklearn.compose._column_transformer", "ColumnTransformer", G::sklearn},
  {"sklearn.decomposition._pca", "PCA", G::sklearn},
  {"sklearn.decomposition._truncated_svd", "TruncatedSVD", G::sklearn},
  {"sklearn.dummy", "DummyClassifier", G::sklearn},
  {"sklearn.dummy", "DummyRegressor", G::sklearn},
  {"sklearn.ensemble._forest", "ExtraTreesClassifier", G::sklearn},
  {"sklearn.ensemble._forest", "ExtraTreesRegressor", G::sklearn},
  {"sklearn.ensemble._forest", "RandomForestClassifier", G::sklearn},
  {"sklearn.ensemble._forest", "RandomForestRegressor", G::sklearn},
  {"sklearn.ensemble._gb", "GradientBoostingClassifier", G::sklearn},
  {"sklearn.ensemble._gb", "GradientBoostingRegressor", G::sklearn},
  {"sklearn.ensemble._gb_losses", "BinomialDeviance", G::sklearn},
  {"sklearn.ensemble._gb_losses", "ExponentialLoss", G::sklearn},
  {"sklearn.ensemble._gb_losses", "HuberLossFunction", G::sklearn},
  {"sklearn.ensemble._gb_losses", "LeastAbsoluteError", G::sklearn},
  {"sklearn.ensemble._gb_losses", "LeastSquaresError", G::sklearn},
  {"sklearn.ensemble._gb_losses", "MultinomialDeviance", G::sklearn},
  {"sklearn.ensemble._gb_losses", "QuantileLossFunction", G::sklearn},
  {"sklearn.ensemble._weight_boosting", "AdaBoostClassifier", G::sklearn},
  {"sklearn.ensemble._weight_boosting", "AdaBoostRegressor", G::sklearn},
  {"sklearn.feature_extraction._dict_vectorizer", "DictVectorizer", G::sklearn},
  {"sklearn.feature_extraction.text", "CountVectorizer", G::sklearn},
  {"sklearn.feature_extraction.text", "TfidfTransformer", G::sklearn},
  {"sklearn.feature_extraction.text", "TfidfVectorizer", G::sklearn},
  {"sklearn.impute._base", "SimpleImputer", G::sklearn},
  {"sklearn.linear_model._base", "LinearRegression", G::sklearn},
  {"sklearn.linear_model._coordinate_descent", "ElasticNet", G::sklearn},
  {"sklearn.linear_model._coordinate_descent", "Lasso", G::sklearn},
  {"sklearn.linear_model._logistic", "LogisticRegression", G::sklearn},
  {"sklearn.linear_model._ridge", "Ridge", G::sklearn},
  {"sklearn.linear_model._ridge", "RidgeClassifier", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "EpsilonInsensitive", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "Hinge", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "Huber", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "Log", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "ModifiedHuber", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "SquaredEpsilonInsensitive", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "SquaredHinge", G::sklearn},
  {"sklearn.linear_model._sgd_fast", "SquaredLoss", G::sklearn},
  {"sklearn.linear_model._stochastic_gradient", "SGDClassifier", G::sklearn},
  {"sklearn.linear_model._stochastic_gradient", "SGDRegressor", G::sklearn},
  {"sklearn.metrics._dist_metrics", "ChebyshevDistance", G::sklearn},
  {"sklearn.metrics._dist_metrics", "EuclideanDistance", G::sklearn},
  {"sklearn.metrics._dist_metrics", "ManhattanDistance", G::sklearn},
  {"sklearn.metrics._dist_metrics", "MinkowskiDistance", G::sklearn},
  {"sklearn.metrics._dist_metrics", "newObj", G::sklearn},
  {"sklearn.mixture._gaussian_mixture", "GaussianMixture", G::sklearn},
  {"sklearn.naive_bayes", "BernoulliNB", G::sklearn},
  {"sklearn.naive_bayes", "GaussianNB", G::sklearn},
  {"sklearn.naive_bayes", "MultinomialNB", G::sklearn},
  {"sklearn.neighbors._ball_tree", "BallTree", G::sklearn},
  {"sklearn.neighbors._ball_tree", "newObj", G::sklearn},
  {"sklearn.neighbors._classification", "KNeighborsClassifier", G::sklearn},
  {"sklearn.neighbors._kd_tree", "KDTree", G::sklearn},
  {"sklearn.neighbors._kd_tree", "newObj", G::sklearn},
  {"sklearn.neighbors._regression", "KNeighborsRegressor", G::sklearn},
  {"sklearn.neighbors._unsupervised", "NearestNeighbors", G::sklearn},
  {"sklearn.neural_network._multilayer_perceptron", "MLPClassifier", G::sklearn},
  {"sklearn.neural_network._multilayer_perceptron", "MLPRegressor", G::sklearn},
  {"sklearn.neural_network._stochastic_optimizers", "AdamOptimizer", G::sklearn},
  {"sklearn.neural_network._stochastic_optimizers", "SGDOptimizer", G::sklearn},
  {"sklearn.pipeline", "FeatureUnion", G::sklearn},
  {"sklearn.pipeline", "Pipeline", G::sklearn},
  {"sklearn.preprocessing._data", "MaxAbsScaler", G::sklearn},
  {"sklearn.preprocessing._data", "MinMaxScaler", G::sklearn},
  {"sklearn.preprocessing._data", "Normalizer", G::sklearn},
  {"sklearn.preprocessing._data", "RobustScaler", G::sklearn},
  {"sklearn.preprocessing._data", "StandardScaler", G::sklearn},
  {"sklearn.preprocessing._encoders", "OneHotEncoder", G::sklearn},
  {"sklearn.preprocessing._encoders", "OrdinalEncoder", G::sklearn},
  {"sklearn.preprocessing._label", "LabelBinarizer", G::sklearn},
  {"sklearn.preprocessing._label", "LabelEncoder", G::sklearn},
  {"sklearn.preprocessing._polynomial", "PolynomialFeatures", G::sklearn},
  {"sklearn.svm._classes", "LinearSVC", G::sklearn},
  {"sklearn.svm._classes", "LinearSVR", G::sklearn},
  {"sklearn.svm._classes", "SVC", G::sklearn},
  {"sklearn.svm._classes", "SVR", G::sklearn},
  {"sklearn.tree._classes", "DecisionTreeClassifier", G::sklearn},
  {"sklearn.tree._classes", "DecisionTreeRegressor", G::sklearn},
  {"sklearn.tree._classes", "ExtraTreeClassifier", G::sklearn},
  {"sklearn.tree._classes", "ExtraTreeRegressor", G::sklearn},
  {"sklearn.tree._tree", "Tree", G::sklearn},

  // SciPy sparse matrices (1.8 moved them to private modules).
  {"scipy.sparse._arrays", "coo_array", G::scipy},
  {"scipy.sparse._arrays", "csc_array", G::scipy},
  {"scipy.sparse._arrays", "csr_array", G::scipy},
  {"scipy.sparse._coo", "coo_matrix", G::scipy},
  {"scipy.sparse._csc", "csc_matrix", G::scipy},
  {"scipy.sparse._csr", "csr_matrix", G::scipy},
  {"scipy.sparse.coo", "coo_matrix", G::scipy},
  {"scipy.sparse.csc", "csc_matrix", G::scipy},
  {"scipy.sparse.csr", "csr_matrix", G::scipy},

  // joblib.
  {"joblib.numpy_pickle", "NumpyArrayWrapper", G::joblib},

  // Time zones.
  {"dateutil.tz.tz", "tzoffset", G::timezone},
  {"dateutil.tz.tz", "tzutc", G::timezone},
  {"pytz", "_UTC", G::timezone},
  {"pytz", "_p", G::timezone},
  {"zoneinfo", "ZoneInfo._unpickle", G::timezone},

  // PyTorch.
  {"torch", "BFloat16Storage", G::torch},
  {"torch", "BoolStorage", G::torch},
  {"torch", "ByteStorage", G::torch},
  {"torch", "CharStorage", G::torch},
  {"torch", "ComplexDoubleStorage", G::torch},
  {"torch", "ComplexFloatStorage", G::torch},
  {"torch", "DoubleStorage", G::torch},
  {"torch", "FloatStorage", G::torch},
  {"torch", "HalfStorage", G::torch},
  {"torch", "IntStorage", G::torch},
  {"torch", "LongStorage", G::torch},
  {"torch", "ShortStorage", G::torch},
  {"torch", "Size", G::torch},
  {"torch._utils", "_rebuild_parameter", G::torch},
  {"torch._utils", "_rebuild_parameter_with_state", G::torch},
  {"torch._utils", "_rebuild_tensor", G::torch},
  {"torch._utils", "_rebuild_tensor_v2", G::torch},
  {"torch.cuda", "BFloat16Storage", G::torch},
  {"torch.cuda", "BoolStorage", G::torch},
  {"torch.cuda", "ByteStorage", G::torch},
  {"torch.cuda", "CharStorage", G::torch},
  {"torch.cuda", "DoubleStorage", G::torch},
  {"torch.cuda", "FloatStorage", G::torch},
  {"torch.cuda", "HalfStorage", G::torch},
  {"torch.cuda", "IntStorage", G::torch},
  {"torch.cuda", "LongStorage", G::torch},
  {"torch.cuda", "ShortStorage", G::torch},
};

/// What a dangerous global does.
enum class Harm : unsigned char { process, code, import, files, network, loader, gadget, native };

std::string_view harm_text(Harm h) {
  switch (h) {
    case Harm::process: return "runs a shell command or another program";
    case Harm::code: return "executes Python code";
    case Harm::import: return "imports any module";
    case Harm::files: return "reads, writes or deletes files";
    case Harm::network: return "opens network connections";
    case Harm::loader: return "loads a nested pickle or model file, which runs what it holds";
    case Harm::gadget:
      return "reaches any attribute, object or function (a step to code execution)";
    case Harm::native: return "loads or calls native code";
  }
  return {};
}

struct Danger {
  std::string_view module;
  std::string_view name;  // empty: the whole module and its submodules
  Harm harm;
};

// Checked in order; names before the modules that hold them.
constexpr Danger kDanger[] = {
  // builtins (and Python 2's __builtin__, which a Python 2 loader imports as it is)
  {"builtins", "eval", Harm::code},         {"builtins", "exec", Harm::code},
  {"builtins", "execfile", Harm::code},     {"builtins", "compile", Harm::code},
  {"builtins", "__build_class__", Harm::code},
  {"builtins", "breakpoint", Harm::code},   {"builtins", "input", Harm::code},
  {"builtins", "__import__", Harm::import}, {"builtins", "reload", Harm::import},
  {"builtins", "open", Harm::files},        {"builtins", "file", Harm::files},
  {"builtins", "getattr", Harm::gadget},    {"builtins", "setattr", Harm::gadget},
  {"builtins", "delattr", Harm::gadget},    {"builtins", "globals", Harm::gadget},
  {"builtins", "locals", Harm::gadget},     {"builtins", "vars", Harm::gadget},
  {"builtins", "type", Harm::gadget},       {"builtins", "help", Harm::code},
  {"builtins", "exit", Harm::process},      {"builtins", "quit", Harm::process},
  // nested loaders named one by one in modules that are otherwise trusted
  {"numpy", "load", Harm::loader},          {"numpy", "loads", Harm::loader},
  {"numpy", "fromfile", Harm::files},       {"numpy", "memmap", Harm::files},
  {"numpy", "loadtxt", Harm::files},        {"numpy", "genfromtxt", Harm::files},
  {"numpy", "save", Harm::files},           {"numpy", "savez", Harm::files},
  {"numpy", "savetxt", Harm::files},        {"numpy", "fromregex", Harm::files},
  {"numpy.lib.npyio", "", Harm::loader},    {"numpy.lib._npyio_impl", "", Harm::loader},
  {"numpy.core.memmap", "", Harm::files},   {"numpy.testing", "", Harm::code},
  {"numpy.f2py", "", Harm::process},        {"numpy.distutils", "", Harm::process},
  {"numpy.ctypeslib", "", Harm::native},
  {"torch", "load", Harm::loader},          {"torch.serialization", "", Harm::loader},
  {"torch.hub", "", Harm::loader},          {"torch.jit", "", Harm::loader},
  {"torch.package", "", Harm::loader},      {"torch.utils.cpp_extension", "", Harm::native},
  {"torch._inductor", "", Harm::code},      {"torch._dynamo", "", Harm::code},
  {"torch.distributed", "", Harm::network}, {"torch.ops", "", Harm::native},
  {"torch.classes", "", Harm::native},      {"torch.utils.data", "", Harm::files},
  {"pandas", "read_pickle", Harm::loader},  {"pandas.io", "", Harm::loader},
  {"joblib", "load", Harm::loader},         {"joblib.numpy_pickle", "load", Harm::loader},
  {"sklearn.datasets", "", Harm::network},  {"sklearn.externals", "", Harm::loader},
  // whole modules
  {"os", "", Harm::process},                {"posix", "", Harm::process},
  {"nt", "", Harm::process},                {"subprocess", "", Harm::process},
  {"_posixsubprocess", "", Harm::process},  {"pty", "", Harm::process},
  {"commands", "", Harm::process},          {"popen2", "", Harm::process},
  {"platform", "", Harm::process},          {"multiprocessing", "", Harm::process},
  {"_winapi", "", Harm::process},           {"asyncio", "", Harm::process},
  {"concurrent", "", Harm::process},        {"pip", "", Harm::process},
  {"setuptools", "", Harm::process},        {"distutils", "", Harm::process},
  {"ensurepip", "", Harm::process},         {"venv", "", Harm::process},
  {"webbrowser", "", Harm::process},        {"pydoc", "", Harm::process},
  {"code", "", Harm::code},                 {"codeop", "", Harm::code},
  {"pdb", "", Harm::code},                  {"bdb", "", Harm::code},
  {"timeit", "", Harm::code},               {"cProfile", "", Harm::code},
  {"profile", "", Harm::code},              {"trace", "", Harm::code},
  {"doctest", "", Harm::code},              {"idlelib", "", Harm::code},
  {"runpy", "", Harm::code},                {"types", "", Harm::code},
  {"marshal", "", Harm::code},              {"logging", "", Harm::code},
  {"sys", "", Harm::gadget},                {"gc", "", Harm::gadget},
  {"inspect", "", Harm::gadget},            {"functools", "", Harm::gadget},
  {"operator", "", Harm::gadget},           {"_operator", "", Harm::gadget},
  {"copyreg", "", Harm::gadget},
  {"importlib", "", Harm::import},          {"imp", "", Harm::import},
  {"pkgutil", "", Harm::import},            {"zipimport", "", Harm::import},
  {"site", "", Harm::import},               {"ctypes", "", Harm::native},
  {"_ctypes", "", Harm::native},            {"cffi", "", Harm::native},
  {"pickle", "", Harm::loader},             {"_pickle", "", Harm::loader},
  {"cPickle", "", Harm::loader},            {"shelve", "", Harm::loader},
  {"dill", "", Harm::loader},               {"cloudpickle", "", Harm::loader},
  {"yaml", "", Harm::loader},               {"jinja2", "", Harm::code},
  {"shutil", "", Harm::files},              {"tempfile", "", Harm::files},
  {"io", "", Harm::files},                  {"_io", "", Harm::files},
  {"codecs", "", Harm::files},              {"fileinput", "", Harm::files},
  {"tarfile", "", Harm::files},             {"zipfile", "", Harm::files},
  {"gzip", "", Harm::files},                {"bz2", "", Harm::files},
  {"lzma", "", Harm::files},                {"dbm", "", Harm::files},
  {"glob", "", Harm::files},                {"linecache", "", Harm::files},
  {"socket", "", Harm::network},            {"_socket", "", Harm::network},
  {"ssl", "", Harm::network},               {"_ssl", "", Harm::network},
  {"http", "", Harm::network},              {"httplib", "", Harm::network},
  {"urllib", "", Harm::network},            {"urllib2", "", Harm::network},
  {"urllib3", "", Harm::network},           {"requests", "", Harm::network},
  {"ftplib", "", Harm::network},            {"smtplib", "", Harm::network},
  {"telnetlib", "", Harm::network},         {"poplib", "", Harm::network},
  {"imaplib", "", Harm::network},           {"nntplib", "", Harm::network},
  {"xmlrpc", "", Harm::network},            {"socketserver", "", Harm::network},
};
// clang-format on

bool in_module(std::string_view module, std::string_view m) {
  return module == m ||
         (module.size() > m.size() && module.starts_with(m) && module[m.size()] == '.');
}

// Python 2's name of builtins, which a Python 2 loader imports as it is.
std::string_view builtins_alias(std::string_view module) {
  return module == "__builtin__" ? std::string_view("builtins") : module;
}

}  // namespace

std::span<const Trusted> trusted_names() noexcept {
  return kTrusted;
}

const Trusted* find_trusted(std::string_view module, std::string_view name) noexcept {
  auto before = [](const Trusted& a, const Trusted& b) {
    return a.module != b.module ? a.module < b.module : a.name < b.name;
  };
  // The table reads by group; looked up sorted (made once, thread-safely).
  static const std::vector<Trusted> sorted = [&] {
    std::vector<Trusted> v(std::begin(kTrusted), std::end(kTrusted));
    std::sort(v.begin(), v.end(), before);
    return v;
  }();
  Trusted key{module, name, Group::builtin};
  auto it = std::lower_bound(sorted.begin(), sorted.end(), key, before);
  if (it == sorted.end() || it->module != module || it->name != name) return nullptr;
  return &*it;
}

std::string_view harm(std::string_view module, std::string_view name) noexcept {
  module = builtins_alias(module);
  // The first part of a qualified name is the attribute the module is asked for.
  std::string_view first = name.substr(0, name.find('.'));
  for (const Danger& d : kDanger) {
    if (d.name.empty() ? in_module(module, d.module) : (module == d.module && first == d.name))
      return harm_text(d.harm);
  }
  // pandas' readers (read_csv, read_pickle ...) read files, some of them pickles.
  if (in_module(module, "pandas") && first.starts_with("read_")) return harm_text(Harm::loader);
  return {};
}

bool nested_loader(std::string_view module, std::string_view name) noexcept {
  struct Loader {
    std::string_view module, name;
  };
  static constexpr Loader kLoaders[] = {
      {"pickle", "loads"},       {"pickle", "_loads"},     {"pickle", "load"},
      {"pickle", "_load"},       {"pickle", "Unpickler"},  {"_pickle", "loads"},
      {"_pickle", "load"},       {"_pickle", "Unpickler"}, {"cPickle", "loads"},
      {"dill", "loads"},         {"cloudpickle", "loads"}, {"numpy", "loads"},
      {"numpy", "load"},         {"joblib", "load"},       {"torch", "load"},
      {"pandas", "read_pickle"}, {"io", "BytesIO"},        {"_io", "BytesIO"},
  };
  for (const Loader& l : kLoaders)
    if (l.module == module && l.name == name) return true;
  return false;
}

}  // namespace pickle::detail::scan
