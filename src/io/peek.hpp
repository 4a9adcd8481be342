// Recognising a container at the start of a Source (source.cpp), for the loader that
// refuses one and for open_compressed that opens one. See [NOTE container-magic].
#pragma once

#include "pickle/io.hpp"

namespace pickle::detail {

/// The container whose magic begins what `source` holds from its position, reading
/// only as many bytes as a magic needs (one more while the bytes so far are a proper
/// prefix of one); Container::none when there is none. Consumes nothing.
Container peek_container(Source& source);

/// Throws UnpicklingError (ErrorCode::container) when the source starts with the magic
/// of a container (zip, gzip, ...) rather than a pickle. Called before the first
/// pickle of a source.
void refuse_container(Source& source);

}  // namespace pickle::detail
