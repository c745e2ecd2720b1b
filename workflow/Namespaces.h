// The generated namespaces, named once for the hand-written workflow code. If generator/config.yaml
// changes the namespace, this is the one line to change with it.
#pragma once

namespace org::openapitools::client::model {
}
namespace org::openapitools::client::api {
}

namespace openai_batch::workflow {
namespace model = org::openapitools::client::model;
namespace api = org::openapitools::client::api;
} // namespace openai_batch::workflow
