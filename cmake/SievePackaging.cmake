# Install layout and the Debian package. Included last from the root CMakeLists.txt.
#
#   cmake --install BUILD --prefix /usr/local     # or the default /usr/local
#   cpack --config BUILD/CPackConfig.cmake        # -> BUILD/sieve_<version>_<arch>.deb
#
# Layout under the prefix (the .deb uses /usr):
#   bin/                          sieve, sieve-broker, sieve-collector, sieve-worker,
#                                 sieve-classifier, sieve-label-file
#   share/sieve/                  the default classifier model (DefaultModelPath() looks there)
#   share/sieve/examples/         example configurations (*.toml, *.env), copied to /etc/sieve
#                                 by the package's postinst when absent
#   lib/systemd/system/           sieve-broker.service, sieve-collector.service,
#                                 sieve-worker@.service
#   lib/sysusers.d/sieve.conf     the `sieve` system user the units run as
include(GNUInstallDirs)

install(TARGETS sieve sieve-broker sieve-collector sieve-worker sieve-classifier sieve-label-file
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/classifier/sieve-classifier-model.bin
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sieve)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/systemd/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sieve/examples
        FILES_MATCHING PATTERN "*.toml" PATTERN "*.env")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/systemd/
        DESTINATION lib/systemd/system
        FILES_MATCHING PATTERN "*.service")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/sieve.sysusers
        DESTINATION lib/sysusers.d RENAME sieve.conf)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deploy.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sieve)
set(CPACK_PACKAGE_VENDOR "Sieve")
set(CPACK_PACKAGE_CONTACT "Sieve maintainers <sieve@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "distributed worker queue labelling CSV rows through HTTP inference endpoints")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sieve_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/sieve")
# Runtime libraries from the binaries' ELF NEEDED entries (dpkg-shlibdeps): libzmq5, libcurl4,
# libsqlite3-0, libspdlog1.10, libfmt9, libprometheus-cpp-*1.0, libcpp-httplib0.11, libstdc++6.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/systemd/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
