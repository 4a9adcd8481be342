// The exception being handled, as the ErrorInfo of the non-throwing entry points.
#pragma once

#include "pickle/error.hpp"

namespace pickle::detail {

/// Call only inside a catch block. The code, message, offset and opcode of the
/// exception in flight; std::bad_alloc is ErrorCode::memory, and an exception that is
/// not a PickleError (one a caller's callback threw) ErrorCode::other.
ErrorInfo current_error() noexcept;

}  // namespace pickle::detail
