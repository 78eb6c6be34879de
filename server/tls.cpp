#include "server/tls.h"

#include <openssl/ssl.h>

namespace gw::server {

std::shared_ptr<boost::asio::ssl::context> make_server_tls(const config::ServerTls& tls) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx->native_handle(),
                                  tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    ctx->use_certificate_chain_file(tls.cert_file);
    ctx->use_private_key_file(tls.key_file, ssl::context::pem);
    if (!tls.client_ca_file.empty()) {
        ctx->load_verify_file(tls.client_ca_file);
        ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        // Resumed sessions with client verification need a session id context.
        static const unsigned char kSessionContext[] = "gateway";
        SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext,
                                       sizeof kSessionContext - 1);
    }
    return ctx;
}

std::shared_ptr<boost::asio::ssl::context> make_client_tls(const config::UpstreamTls& t) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (t.ca_file.empty())
        ctx->set_default_verify_paths();
    else
        ctx->load_verify_file(t.ca_file);
    if (!t.cert_file.empty()) {
        ctx->use_certificate_chain_file(t.cert_file);
        ctx->use_private_key_file(t.key_file, ssl::context::pem);
    }
    ctx->set_verify_mode(t.verify ? ssl::verify_peer : ssl::verify_none);
    return ctx;
}

}  // namespace gw::server
