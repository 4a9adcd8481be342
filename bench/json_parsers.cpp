// The two JSON parsers packaged by Debian that from_json could be built on, parsing
// the same texts: simdjson's On-Demand API (what from_json uses) against nlohmann-json.
// scripts/bench-json.py runs it on its workloads and prints the table.
//
//   pickle_json_parsers [--repeat R] NAME=FILE...
//
// For each file, the median of R runs (after one warm-up run) of
//   simdjson_ondemand  a full traversal with an explicit stack, as from_json walks a
//                      document: every array and object iterated, every key and string
//                      unescaped and read, every number converted (int64, uint64 or
//                      double); the parser is reused (its buffers stay allocated; from_json
//                      makes one per call) and the text is already a padded_string (which
//                      from_json copies it into);
//   nlohmann_sax       nlohmann::json::sax_parse with a handler that counts values and
//                      reads every key and string (the fair match for the traversal
//                      above: from_json builds no DOM either);
//   nlohmann_dom       nlohmann::json::parse into a DOM (freeing the DOM is not timed);
//   simdjson_dom       simdjson's own DOM parser (reused), for reference.
// Every figure is this thread's CPU time; the rate is MB/s (10^6 bytes of JSON text per
// second). The traversal and the SAX handler each count the values they saw, and both
// counts are printed, so that a reader can check the two walked the same values.
//
// The On-Demand code is compiled here with the same flags as from_json's, so for the
// same simdjson kernel (printed as simdjson_ondemand_kernel: `fallback` without -m
// flags); stage 1 and string unescaping go through the kernel simdjson picks at run
// time (simdjson_active).
//
// Prints one JSON object on standard output.
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace od = simdjson::ondemand;

// The kernel the On-Demand code of this file was compiled for (od is an alias of
// simdjson::<kernel>::ondemand, chosen by the compiler's target flags, as for
// from_json), and what simdjson picks at run time for stage 1 and for strings.
#define PICKLE_STRINGIFY2(x) #x
#define PICKLE_STRINGIFY(x) PICKLE_STRINGIFY2(x)
constexpr const char* kOnDemandKernel = PICKLE_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);

uint64_t cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t median(std::vector<uint64_t> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

// What a walk saw: values (scalars, arrays and objects; keys not counted), and a sum of
// what it read, so that nothing can be optimised away.
struct Tally {
  uint64_t values = 0;
  uint64_t string_bytes = 0;
  uint64_t checksum = 0;
  double number_sum = 0;
  void text(std::string_view s) {
    string_bytes += s.size();
    if (!s.empty()) checksum += static_cast<unsigned char>(s[s.size() / 2]);
  }
};

[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "pickle_json_parsers: %s: %s\n", what, detail.c_str());
  std::exit(1);
}

void need(simdjson::error_code e) {
  if (e != simdjson::SUCCESS) die("simdjson", simdjson::error_message(e));
}

// ---- simdjson On-Demand: a full traversal on an explicit stack -------------------

class OnDemandWalker {
 public:
  void walk(od::parser& parser, const simdjson::padded_string& text, Tally& t) {
    od::document doc;
    need(parser.iterate(text).get(doc));
    od::json_type type{};
    need(doc.type().get(type));
    if (type != od::json_type::array && type != od::json_type::object) {
      // A scalar document: read as a value of the document itself.
      ++t.values;
      std::string_view tok;
      need(doc.raw_json_token().get(tok));
      t.text(tok);
      return;
    }
    od::value root;
    need(doc.get_value().get(root));
    stack_.clear();
    visit(root, t);
    while (!stack_.empty()) {
      size_t depth = stack_.size();
      Frame& f = stack_.back();
      if (f.is_object) {
        if (!(f.object != f.object)) {
          close();
          continue;
        }
        od::field field;
        need((*f.object).get(field));
        std::string_view key;
        need(field.unescaped_key().get(key));
        t.text(key);
        visit(field.value(), t);
      } else {
        if (!(f.array != f.array)) {
          close();
          continue;
        }
        od::value item;
        need((*f.array).get(item));
        visit(item, t);
      }
      if (stack_.size() == depth) advance(stack_.back());  // a scalar: on to the next
    }
  }

 private:
  struct Frame {
    od::array_iterator array;
    od::object_iterator object;
    bool is_object = false;
  };

  static void advance(Frame& f) {
    if (f.is_object)
      ++f.object;
    else
      ++f.array;
  }

  // The container on top is finished: pop it and step past it in its parent.
  void close() {
    stack_.pop_back();
    if (!stack_.empty()) advance(stack_.back());
  }

  // A scalar is read at once; a container pushes a frame that iterates it.
  void visit(od::value& v, Tally& t) {
    ++t.values;
    od::json_type type{};
    need(v.type().get(type));
    switch (type) {
      case od::json_type::array: {
        od::array a;
        need(v.get_array().get(a));
        Frame& f = stack_.emplace_back();
        need(a.begin().get(f.array));
        return;
      }
      case od::json_type::object: {
        od::object o;
        need(v.get_object().get(o));
        Frame& f = stack_.emplace_back();
        f.is_object = true;
        need(o.begin().get(f.object));
        return;
      }
      case od::json_type::string: {
        std::string_view s;
        need(v.get_string().get(s));
        t.text(s);
        return;
      }
      case od::json_type::number: {
        od::number n;
        simdjson::error_code e = v.get_number().get(n);
        if (e == simdjson::NUMBER_OUT_OF_RANGE) {  // an int beyond 64 bits: its digits
          t.text(v.raw_json_token());
          return;
        }
        need(e);
        switch (n.get_number_type()) {
          case od::number_type::floating_point_number: t.number_sum += n.get_double(); break;
          case od::number_type::signed_integer:
            t.number_sum += static_cast<double>(n.get_int64());
            break;
          case od::number_type::unsigned_integer:
            t.number_sum += static_cast<double>(n.get_uint64());
            break;
          default: break;
        }
        return;
      }
      case od::json_type::boolean: {
        bool b = false;
        need(v.get_bool().get(b));
        t.checksum += b;
        return;
      }
      case od::json_type::null: {
        bool null = false;
        need(v.is_null().get(null));
        if (!null) die("simdjson", "a malformed literal");
        return;
      }
    }
  }

  std::vector<Frame> stack_;
};

// ---- nlohmann-json SAX: the same reading, through callbacks -----------------------

struct SaxCounter {
  using json = nlohmann::json;
  Tally* t;
  bool null() { return ++t->values, true; }
  bool boolean(bool b) { return ++t->values, t->checksum += b, true; }
  bool number_integer(json::number_integer_t i) {
    ++t->values;
    t->number_sum += static_cast<double>(i);
    return true;
  }
  bool number_unsigned(json::number_unsigned_t u) {
    ++t->values;
    t->number_sum += static_cast<double>(u);
    return true;
  }
  bool number_float(json::number_float_t d, const json::string_t&) {
    ++t->values;
    t->number_sum += d;
    return true;
  }
  bool string(json::string_t& s) { return ++t->values, t->text(s), true; }
  bool binary(json::binary_t&) { return ++t->values, true; }
  bool start_object(std::size_t) { return ++t->values, true; }
  bool key(json::string_t& k) { return t->text(k), true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return ++t->values, true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const json::exception& e) {
    die("nlohmann sax_parse", e.what());
  }
};

// ---- timing -----------------------------------------------------------------------

struct Result {
  uint64_t cpu_ns = 0;
  Tally tally;
};

// f(tally) does one run and returns the CPU nanoseconds of its timed part.
template <class F>
Result time_it(int repeat, F&& f) {
  Result r;
  f(r.tally);  // warm-up
  std::vector<uint64_t> ns;
  for (int i = 0; i < repeat; ++i) {
    Tally t;
    ns.push_back(f(t));
    r.tally = t;
  }
  r.cpu_ns = median(ns);
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) die("cannot read", path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

double mb_per_s(size_t bytes, uint64_t ns) {
  return ns ? double(bytes) / 1e6 / (ns / 1e9) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 7;
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (size_t eq = a.find('='); eq != std::string::npos && !a.starts_with("--")) {
      files.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    } else {
      std::fprintf(stderr, "usage: pickle_json_parsers [--repeat R] NAME=FILE...\n");
      return 2;
    }
  }
  od::parser ondemand;
  simdjson::dom::parser dom;
  OnDemandWalker walker;
  std::printf(
      "{\"repeat\": %d, \"simdjson\": \"%d.%d.%d\", \"simdjson_ondemand_kernel\": \"%s\", "
      "\"simdjson_active\": \"%s\", \"nlohmann\": \"%d.%d.%d\", \"files\": [",
      repeat, simdjson::SIMDJSON_VERSION_MAJOR, simdjson::SIMDJSON_VERSION_MINOR,
      simdjson::SIMDJSON_VERSION_REVISION, kOnDemandKernel,
      simdjson::get_active_implementation()->name().c_str(), NLOHMANN_JSON_VERSION_MAJOR,
      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH);
  for (size_t k = 0; k < files.size(); ++k) {
    const std::string text = read_file(files[k].second);
    const simdjson::padded_string padded(text);
    Result od_walk = time_it(repeat, [&](Tally& t) {
      uint64_t c0 = cpu_now();
      walker.walk(ondemand, padded, t);
      return cpu_now() - c0;
    });
    Result sax = time_it(repeat, [&](Tally& t) {
      uint64_t c0 = cpu_now();
      SaxCounter counter{&t};
      if (!nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &counter))
        die("nlohmann sax_parse", "failed");
      return cpu_now() - c0;
    });
    Result nl_dom = time_it(repeat, [&](Tally& t) {
      uint64_t c0 = cpu_now();
      nlohmann::json j = nlohmann::json::parse(text.data(), text.data() + text.size());
      uint64_t ns = cpu_now() - c0;
      t.values = j.size();
      return ns;  // freeing the DOM is not timed
    });
    Result sj_dom = time_it(repeat, [&](Tally& t) {
      uint64_t c0 = cpu_now();
      simdjson::dom::element root;
      need(dom.parse(padded).get(root));
      t.values = root.is_array() ? root.get_array().size() : 1;
      return cpu_now() - c0;
    });
    std::printf(
        "%s{\"name\": \"%s\", \"bytes\": %zu, \"values_ondemand\": %llu, \"values_sax\": %llu, "
        "\"string_bytes_ondemand\": %llu, \"string_bytes_sax\": %llu, "
        "\"simdjson_ondemand_ns\": %llu, \"nlohmann_sax_ns\": %llu, \"nlohmann_dom_ns\": %llu, "
        "\"simdjson_dom_ns\": %llu, \"simdjson_ondemand_mbps\": %.1f, \"nlohmann_sax_mbps\": %.1f, "
        "\"nlohmann_dom_mbps\": %.1f, \"simdjson_dom_mbps\": %.1f}",
        k ? ", " : "", files[k].first.c_str(), text.size(),
        static_cast<unsigned long long>(od_walk.tally.values),
        static_cast<unsigned long long>(sax.tally.values),
        static_cast<unsigned long long>(od_walk.tally.string_bytes),
        static_cast<unsigned long long>(sax.tally.string_bytes),
        static_cast<unsigned long long>(od_walk.cpu_ns),
        static_cast<unsigned long long>(sax.cpu_ns), static_cast<unsigned long long>(nl_dom.cpu_ns),
        static_cast<unsigned long long>(sj_dom.cpu_ns), mb_per_s(text.size(), od_walk.cpu_ns),
        mb_per_s(text.size(), sax.cpu_ns), mb_per_s(text.size(), nl_dom.cpu_ns),
        mb_per_s(text.size(), sj_dom.cpu_ns));
    std::fflush(stdout);
  }
  std::printf("]}\n");
  return 0;
}
