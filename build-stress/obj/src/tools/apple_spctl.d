build-stress/obj/src/tools/apple_spctl.o: src/tools/apple_spctl.c \
 src/tools/boot_tools.h include/macext/boot.h include/macext/core.h \
 include/macext/err.h src/tools/tools.h include/macext/store.h
src/tools/boot_tools.h:
include/macext/boot.h:
include/macext/core.h:
include/macext/err.h:
src/tools/tools.h:
include/macext/store.h:
