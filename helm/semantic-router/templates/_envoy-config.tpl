{{/*
The Envoy sidecar's static bootstrap: the same listener, ext_proc filter, routes and clusters as deploy/envoy.yaml,
with one cluster per pool of the policy. Args: dict root, pools ({names, default}).
*/}}
{{- define "semantic-router.envoyConfig" -}}
{{- $root := .root }}
{{- $envoy := $root.Values.envoy }}
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: {{ $envoy.adminPort | int }} }

overload_manager:
  resource_monitors:
    - name: envoy.resource_monitors.global_downstream_max_connections
      typed_config:
        '@type': type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig
        max_active_downstream_connections: 50000

static_resources:
  listeners:
    - name: llm_ingress
      address:
        socket_address: { address: 0.0.0.0, port_value: {{ $envoy.listenerPort | int }} }
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                '@type': type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: llm_ingress
                codec_type: AUTO
                normalize_path: true
                merge_slashes: true
                access_log:
                  - name: envoy.access_loggers.stdout
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
                      log_format:
                        text_format_source:
                          inline_string: >
                            [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
                            %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%ms
                            model=%REQ(X-SELECTED-MODEL)% pool=%REQ(X-SELECTED-POOL)%
                            cluster=%UPSTREAM_CLUSTER% upstream=%UPSTREAM_HOST%
                            decision=%RESP(X-ROUTER-DECISION)% path=%RESP(X-ROUTER-RESPONSE-PATH)%
                            request_id=%REQ(X-REQUEST-ID)%
                route_config:
                  name: llm_routes
                  virtual_hosts:
                    - name: llm
                      domains: ['*']
                      routes:
                        # Envoy's own health (the pod's readiness probe): answered locally, not sent to the router.
                        - match: { path: /healthz }
                          direct_response:
                            status: 200
                            body: { inline_string: "ok\n" }
                          typed_per_filter_config:
                            envoy.filters.http.ext_proc:
                              '@type': type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute
                              disabled: true
                        # The router chose a pool: send the request to the cluster it named.
                        - match:
                            prefix: /
                            headers:
                              - name: x-selected-pool
                                present_match: true
                          route:
                            cluster_header: x-selected-pool
                            timeout: {{ $envoy.routeTimeout }}
                        # No pool chosen (non-LLM path): the default pool.
                        - match: { prefix: / }
                          route:
                            cluster: {{ .pools.default | quote }}
                            timeout: {{ $envoy.routeTimeout }}
                http_filters:
                  # ext_proc must run before the router filter, which picks the upstream cluster.
                  - {{- include "semantic-router.envoyExtProcFilter" (dict "values" $root.Values "cluster" "semantic-router") | nindent 20 }}
                  - name: envoy.filters.http.router
                    typed_config:
                      '@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router

  clusters:
    # The router, in the same pod: gRPC (HTTP/2 only).
    - name: semantic-router
      type: STATIC
      connect_timeout: 1s
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          '@type': type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config:
            http2_protocol_options:
              connection_keepalive:
                interval: 30s
                timeout: 5s
      load_assignment:
        cluster_name: semantic-router
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: 127.0.0.1, port_value: {{ $root.Values.router.grpcPort | int }} }
    # One cluster per pool of the policy (cluster name = the x-selected-pool value).
    {{- range .pools.names }}
    {{- $upstream := include "semantic-router.upstream" (list $root .) | fromJson }}
    - name: {{ . | quote }}
      type: STRICT_DNS
      connect_timeout: 5s
      lb_policy: {{ $envoy.upstreamLbPolicy }}
      per_connection_buffer_limit_bytes: {{ $envoy.bufferLimitBytes | int64 }}
      {{- if $upstream.tls }}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          '@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: {{ $upstream.address | quote }}
      {{- end }}
      load_assignment:
        cluster_name: {{ . | quote }}
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $upstream.address | quote }}, port_value: {{ $upstream.port | int }} }
    {{- end }}
{{- end }}
