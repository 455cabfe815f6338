// Everything a command needs to reach a coordinator: address and secret
// resolution, authenticated connections, and joining or starting one.
#pragma once

#include "address.h"     // IWYU pragma: export
#include "connection.h"  // IWYU pragma: export
#include "ensure.h"      // IWYU pragma: export
#include "errors.h"      // IWYU pragma: export
#include "paths.h"       // IWYU pragma: export
