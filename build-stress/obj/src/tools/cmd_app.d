build-stress/obj/src/tools/cmd_app.o: src/tools/cmd_app.c \
 include/macext/bundle.h include/macext/err.h src/tools/tools.h \
 include/macext/core.h include/macext/store.h
include/macext/bundle.h:
include/macext/err.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/store.h:
